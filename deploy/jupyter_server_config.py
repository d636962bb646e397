# Each agent's own Jupyter server behind JupyterHub (see README, "A desk team"): the same
# rules as `make app` (deploy/voila.json) for the desk pages served by Voila's extension.
c = get_config()  # noqa: F821 - provided by Jupyter when it loads this file

# A closed page's kernel is freed within two minutes; pages still open are never touched.
c.MappingKernelManager.cull_idle_timeout = 60
c.MappingKernelManager.cull_interval = 15
c.MappingKernelManager.cull_connected = False
c.MappingKernelManager.cull_busy = False

# No code, no tracebacks, and no data file served through Voila's file handler.
c.VoilaConfiguration.show_tracebacks = False
c.VoilaConfiguration.file_allowlist = []
