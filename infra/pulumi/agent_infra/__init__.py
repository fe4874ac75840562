"""The AI Code Agent platform on Azure, as Pulumi component resources.

``__main__.py`` reads the stack configuration once (``settings.load_settings``) and calls
``platform.build_platform``; everything else is built from the typed settings it passes down.
"""
