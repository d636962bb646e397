# JupyterHub for a support desk team (README, "A desk team"): every agent logs in and gets
# an own server that opens the troubleshooting page in Voila; the desk's memory is one
# PostgreSQL database. Start: jupyterhub -f deploy/jupyterhub_config.py
import os

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

KIT = "/srv/support_kit"  # a clone of this repository, installed with `make lab` once

c.JupyterHub.bind_url = "http://127.0.0.1:8000"  # put TLS (nginx, Caddy) in front of it
c.Authenticator.allowed_users = {"anna", "ben"}  # or your single sign-on (OAuthenticator)
c.Spawner.cmd = [f"{KIT}/.venv/bin/jupyterhub-singleuser"]
c.Spawner.notebook_dir = f"{KIT}/notebooks"
c.Spawner.default_url = "/voila/render/01_troubleshoot_seller.ipynb"
c.Spawner.args = [f"--config={KIT}/deploy/jupyter_server_config.py"]
c.Spawner.mem_limit = "2G"
# JupyterHub sets JUPYTERHUB_USER: that is the agent's name in the desk's memory.
c.Spawner.environment = {
    "SUPPORT_KIT_STORE": "postgresql+psycopg://desk@db-host/desk",
    "SUPPORT_KIT_CUSTOMERS": "/srv/desk-data/customers.csv",  # never inside notebooks/
}
# Secrets come from the hub's own environment (a systemd EnvironmentFile), never this file.
c.Spawner.env_keep = ["PATH", "LANG", "LC_ALL", "VIRTUAL_ENV",
                      *(name for name in os.environ if name.startswith("SUPPORT_KIT_"))]
