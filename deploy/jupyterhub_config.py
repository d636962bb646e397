# JupyterHub for a support desk team (README, "A desk team"): every agent logs in and gets
# an own server that opens the troubleshooting page in Voila. Started by `make hub`
# (HUB_PORT, default 8000) on 127.0.0.1: put TLS (nginx, Caddy) in front of it.
#
# The secrets (SUPPORT_KIT_* from the environment `make hub` starts with) reach only the
# keeper, a service the hub runs; agents' servers and kernels get none of them, and ask the
# keeper with their hub token (support_kit/keeper/).
#
# Logins: PAM (system users) by default; with SUPPORT_KIT_HUB_TRIAL_PASSWORD set, a trial:
# JupyterHub's DummyAuthenticator with that one password and SimpleLocalProcessSpawner, so
# every server runs as the hub's own system user (the wiring, not the isolation).
# Who may log in: SUPPORT_KIT_HUB_USERS (comma-separated); the JupyterHub group
# `desk-admins` (SUPPORT_KIT_HUB_ADMINS, comma-separated) keeps JupyterLab. The keeper runs
# as SUPPORT_KIT_HUB_KEEPER_USER when set (a system user of its own), else as the hub.
import os
import sys
from pathlib import Path

import platformdirs

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

KIT = Path(__file__).resolve().parents[1]  # this checkout
BIN = Path(sys.executable).parent  # the virtual environment JupyterHub runs from
PORT = int(os.environ.get("HUB_PORT") or 8000)
# The hub's own database, cookie secret and proxy pid: the user's data folder, never the
# checkout (made private: the cookie secret signs every login).
STATE = Path(platformdirs.user_data_dir("support_kit", appauthor=False)) / "hub"
STATE.mkdir(parents=True, exist_ok=True, mode=0o700)
STATE.chmod(0o700)


def _names(setting: str) -> set[str]:
    return {name.strip() for name in os.environ.get(setting, "").split(",") if name.strip()}


AGENTS, ADMINS = _names("SUPPORT_KIT_HUB_USERS"), _names("SUPPORT_KIT_HUB_ADMINS")
TRIAL_PASSWORD = os.environ.get("SUPPORT_KIT_HUB_TRIAL_PASSWORD", "")
if not AGENTS | ADMINS:
    sys.exit("make hub: nobody may log in. Set SUPPORT_KIT_HUB_USERS to the agents' login "
             "names, comma-separated (README, A desk team).")
if not TRIAL_PASSWORD and os.geteuid() != 0:
    sys.exit("make hub: the hub logs agents in as system users and starts each agent's server "
             "as that user, which needs root (sudo, or a systemd service). For a trial on "
             "your own account set SUPPORT_KIT_HUB_TRIAL_PASSWORD (README, A desk team).")

# --- where it listens (127.0.0.1 only) and what it keeps ----------------------------------
c.JupyterHub.bind_url = f"http://127.0.0.1:{PORT}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{PORT + 1}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 2}"
KEEPER_URL = f"http://127.0.0.1:{PORT + 3}"
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # a stopped hub stops the agents' servers
# JupyterHub starts its proxy with its own environment: the proxy needs none of the secrets.
c.ConfigurableHTTPProxy.command = [
    "env", *(f"--unset={name}" for name in sorted(os.environ) if name.startswith("SUPPORT_KIT_")),
    "configurable-http-proxy"]

# --- who logs in ---------------------------------------------------------------------------
c.Authenticator.allowed_users = AGENTS | ADMINS
c.Authenticator.admin_users = set()  # nobody administers the hub from the web
c.JupyterHub.load_groups = {"desk-admins": {"users": sorted(ADMINS)}}
if TRIAL_PASSWORD:
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = TRIAL_PASSWORD
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "trial-homes" / "{username}")
else:
    c.JupyterHub.authenticator_class = "pam"
    c.JupyterHub.spawner_class = "localprocess"  # each agent's server as its system user
    for needed in (Path(sys.executable).resolve(), KIT / "notebooks"):
        if not all(p.stat().st_mode & 0o005 == 0o005 for p in (needed, *needed.parents)):
            sys.exit(f"make hub: the agents' servers run as the agents, who cannot run or read "
                     f"{needed} (a folder above it is private). Make the venv with Debian's "
                     "python3 (make clean; make .venv/.installed-hub PYTHON=/usr/bin/python3) "
                     "in a checkout everyone may read, such as /srv/support_kit (README, "
                     "A desk team).")

# --- each agent's server: the desk pages only ---------------------------------------------
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = str(KIT / "notebooks")
c.Spawner.default_url = "/voila/render/01_troubleshoot_seller.ipynb"
c.Spawner.args = [f"--config={KIT / 'deploy' / 'jupyter_server_config.py'}"]
if TRIAL_PASSWORD and os.geteuid() == 0:  # a trial as root: its servers run as root too
    c.Spawner.args.append("--ServerApp.allow_root=True")
# A server answers within ~10 s alone; with a whole team logging in at once on two cores,
# within minutes (benchmarks/README.md): the hub waits, the agent sees the progress page.
c.Spawner.http_timeout = 300
c.Spawner.start_timeout = 300
# Nothing of the hub's environment is inherited (JupyterHub keeps only the names listed).
c.Spawner.env_keep = ["LANG", "LC_ALL", "TZ"]
# Settings every agent shares and that hold no secret; the customer list is the keeper's
# (with its refresh tokens): agents' desks receive it from the keeper without them.
SHARED = ("SUPPORT_KIT_TIMEZONE", "SUPPORT_KIT_CUSTOMER_LANGUAGE",
          "SUPPORT_KIT_ROLES_CHANGED_ON", "SUPPORT_KIT_LWA_SECRET_EXPIRES")
c.Spawner.environment = {
    "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
    "SUPPORT_KIT_KEEPER_URL": KEEPER_URL,
    **{name: os.environ[name] for name in SHARED if os.environ.get(name)},
}
# The hub token of an agent's server (its kernels use it) may call the keeper.
c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server",
                                 "access:services!service=keeper"]
# Memory: the local spawners do not enforce Spawner.mem_limit, so none is set; give the
# machine about 0.5 GB per agent (benchmarks/README.md).


def _mark_admins(spawner) -> None:
    """`desk-admins` (leads, trainers) keep JupyterLab; everybody else gets the desk only."""
    admin = any(group.name == "desk-admins" for group in spawner.user.groups)
    spawner.environment = {**spawner.environment,
                           "SUPPORT_KIT_DESK_ROLE": "admin" if admin else "agent"}


c.Spawner.pre_spawn_hook = _mark_admins

# --- the keeper: the one holder of secrets, and idle agents' servers stopped -------------
# With SUPPORT_KIT_HUB_KEEPER_USER (a system user of its own) the keeper does not run as the
# hub's user (root): it needs the secrets, the customer list and the database, not root.
KEEPER_USER = os.environ.get("SUPPORT_KIT_HUB_KEEPER_USER", "").strip()
KEEPER_SETTINGS = {name: value for name, value in os.environ.items()
                   if name.startswith("SUPPORT_KIT_") and not name.startswith("SUPPORT_KIT_HUB_")}
KEEPER = {
    "name": "keeper",
    "url": KEEPER_URL,
    "command": [sys.executable, "-m", "support_kit.keeper.service"],
    "environment": {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": os.environ.get("HOME", str(STATE)),
                    **{name: os.environ[name] for name in ("LANG", "XDG_DATA_HOME")
                       if name in os.environ and not KEEPER_USER},
                    **KEEPER_SETTINGS},
    "cwd": "/" if KEEPER_USER else str(STATE),
    **({"user": KEEPER_USER} if KEEPER_USER else {}),  # HOME then is that user's
}
c.JupyterHub.services = [
    KEEPER,
    {
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=3600",
                    "--cull-every=300"],
    },
]
c.JupyterHub.load_roles = [
    # every agent's token may reach the keeper (it checks who the token belongs to)
    {"name": "user", "scopes": ["self", "access:services!service=keeper"]},
    {"name": "idle-culler", "services": ["idle-culler"],
     "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
]
