# Each agent's own Jupyter server behind JupyterHub (see README, "A desk team"): the desk
# pages served by Voila's extension, with the same rules as `make app` (deploy/voila.json).
# deploy/jupyterhub_config.py starts every server with this file.
import os

c = get_config()  # noqa: F821 - provided by Jupyter when it loads this file

# A closed page's kernel is freed within two minutes; pages still open are never touched.
c.MappingKernelManager.cull_idle_timeout = 60
c.MappingKernelManager.cull_interval = 15
c.MappingKernelManager.cull_connected = False
c.MappingKernelManager.cull_busy = False
# A page's kernel is kept until the page has connected (a busy machine loads the page's
# scripts slowly: with a whole team logging in at once, minutes), and a page's websocket
# is bounded, as in `make app` (support_kit/app_server.py).
c.ServerApp.kernel_manager_class = "support_kit.app_server.HeldKernelManager"
c.HeldKernelManager.connect_timeout = 600
c.ServerApp.kernel_websocket_connection_class = (
    "support_kit.app_server.BoundedWebsocketConnection")
c.ServerApp.tornado_settings = {"websocket_max_message_size": 1024 * 1024}

# No code, no tracebacks, and no data file served through Voila's file handler.
c.VoilaConfiguration.show_tracebacks = False
c.VoilaConfiguration.file_allowlist = []

# No terminals for anybody: a terminal is a shell that nothing culls.
c.ServerApp.terminals_enabled = False

# Agents get the desk pages only (support_kit/agent_server.py answers everything else with
# 403: JupyterLab, the contents, files, sessions and kernels APIs). The hub's `desk-admins`
# group (leads, trainers) keeps JupyterLab: the hub marks their servers.
if os.environ.get("SUPPORT_KIT_DESK_ROLE") != "admin":
    c.ServerApp.jpserver_extensions = {
        "support_kit.agent_server": True,
        "voila.server_extension": True,
        "jupyterlab": False,
        "notebook": False,
        "jupyter_lsp": False,
        "jupyter_server_terminals": False,
    }

# The notebooks' English notes (cells tagged lab-only) are for JupyterLab; the desk pages
# show each step's heading from the panel, in the page's language.
c.TagRemovePreprocessor.remove_cell_tags = ["lab-only"]
