"""The Durable Task part of devhost: client binding, management API, replay engine, store."""
