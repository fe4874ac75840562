"""The Functions app: creates the Durable app and registers the blueprints. Nothing else."""

import azure.durable_functions as df

app = df.DFApp()
