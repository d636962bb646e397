"""The production wiring with two real system users: PAM logins, each agent's server and
kernels running as that agent (LocalProcessSpawner), the keeper and the hub as root.

An agent holding a desk page can run code in its kernel (the page's websocket): that code
cannot read the keeper's environment, the hub's files, the secrets file with the store's
credentials, or the other agent's files. Runs as root (CI does); skipped with a line
otherwise. The users are created as the README says and removed afterwards."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from .conftest import SECRET_VALUES, team_settings
from .hub_server import ROOT, Hub, hub_tools_or_skip, log_in, run_in_page_kernel

USERADD = "useradd --create-home -K HOME_MODE=0700 --shell /usr/sbin/nologin"  # as README
KEEPER_USERADD = "useradd --system --create-home --shell /usr/sbin/nologin --home-dir"
PROBE = """
import json, os
def probe(path):
    try:
        os.listdir(path) if os.path.isdir(path) else open(path, 'rb').read()
        return 'read'
    except PermissionError:
        return 'denied'
    except OSError as error:
        return type(error).__name__
print(json.dumps({'uid': os.getuid(), 'env': sorted(os.environ),
                  'values': '\\n'.join(os.environ.values()),
                  'probes': {name: probe(path) for name, path in PATHS.items()}}))
"""


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=60)


def _readable_by_everyone(path: Path) -> bool:
    """Agents run the kit from the checkout: every folder above it must let them through."""
    return all(os.stat(p).st_mode & 0o005 == 0o005 for p in [path, *path.parents])


def agents_python(workdir: Path) -> str:
    """A Python every agent may run, with the kit and its packages: this virtual environment
    when its interpreter is readable by everyone; else (a developer's Python under /root, as
    with pyenv) a venv of Debian's python3 of the same version that uses this environment's
    packages, as the README's system-python venv would have them."""
    if _readable_by_everyone(Path(sys.executable).resolve()):
        return sys.executable
    system, version = Path("/usr/bin/python3"), f"{sys.version_info[0]}.{sys.version_info[1]}"
    found = subprocess.run([system, "-c", "import sys; print(*sys.version_info[:2], sep='.')"],
                           capture_output=True, text=True) if system.exists() else None
    if not found or found.stdout.strip() != version:
        pytest.skip(f"agents cannot run {sys.executable} (a private folder above it) and there "
                    f"is no /usr/bin/python3 {version} to make a venv they can run")
    venv, packages = workdir / "venv", Path(sysconfig.get_paths()["purelib"])
    _run(str(system), "-m", "venv", "--without-pip", str(venv))
    (venv / "lib" / f"python{version}" / "site-packages" / "kit.pth").write_text(
        f"import site; site.addsitedir({str(packages)!r})\n")
    for folder in ("share", "etc"):  # Jupyter's data and config (Voila, server extensions)
        (venv / folder).symlink_to(Path(sys.prefix) / folder)
    singleuser = venv / "bin" / "jupyterhub-singleuser"
    singleuser.write_text(f"#!{venv}/bin/python\nimport sys\n"
                          "from jupyterhub.singleuser import main\nsys.exit(main())\n")
    singleuser.chmod(0o755)
    return str(venv / "bin" / "python")


@pytest.fixture(scope="module")
def agents():
    """Two agents made as the README says (private homes, a password) and the keeper's own
    system user (the last name); all removed afterwards."""
    if os.geteuid() != 0:
        pytest.skip("creating system users needs root (CI runs as root)")
    if not _readable_by_everyone(ROOT / "notebooks"):
        pytest.skip(f"{ROOT} is not readable by other users; agents run the kit from it")
    made = {}
    try:
        for _ in range(2):
            name = "desk" + secrets.token_hex(3)
            _run(*USERADD.split(), name)
            made[name] = secrets.token_urlsafe(12)
            subprocess.run(["chpasswd"], input=f"{name}:{made[name]}\n", text=True,
                           check=True, capture_output=True, timeout=60)
        keeper = "keep" + secrets.token_hex(3)
        _run(*KEEPER_USERADD.split(), f"/var/lib/{keeper}", keeper)
        made[keeper] = ""
        yield made
    finally:
        for name in made:
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True, timeout=30)
            subprocess.run(["userdel", "--remove", name], capture_output=True, timeout=60)


@pytest.fixture
def workdir():
    """A folder other users may pass through (pytest's own are private to root, which would
    hide everything below them whatever its own permissions)."""
    path = Path(tempfile.mkdtemp(prefix="support-kit-hub-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_an_agents_kernel_reads_no_secret_and_no_other_agents_files(
        agents, browser, hub_store, workdir):
    hub_tools_or_skip()
    anna, ben, keeper_user = list(agents)
    settings = team_settings(workdir, hub_store)
    (workdir / "customers.csv").chmod(0o600)  # the keeper's alone
    _run("chown", keeper_user, str(workdir / "customers.csv"))
    secrets_file = workdir / "desk.env"  # the administrator's secrets file, root only
    secrets_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    secrets_file.chmod(0o600)
    bens_file = Path(f"~{ben}").expanduser() / "notes.txt"
    bens_file.write_text("ben's own notes")
    _run("chown", f"{ben}:{ben}", str(bens_file))

    hub = Hub(workdir, settings | {"SUPPORT_KIT_HUB_USERS": f"{anna},{ben}",
                                   "SUPPORT_KIT_HUB_KEEPER_USER": keeper_user},
              python=agents_python(workdir))
    try:
        state = hub.data / "support_kit" / "hub"
        keeper = next(p for p in hub.processes()
                      if "support_kit.keeper.service" in " ".join(p.cmdline()))
        assert keeper.username() == keeper_user  # not root: it needs no more than the secrets
        paths = {"keeper's environment": f"/proc/{keeper.pid}/environ",
                 "hub's database": str(state / "jupyterhub.sqlite"),
                 "hub's cookie secret": str(state / "jupyterhub_cookie_secret"),
                 "secrets file": str(secrets_file),
                 "customer list": str(workdir / "customers.csv"),
                 "ben's home": str(bens_file.parent),
                 "ben's notes": str(bens_file)}
        for path in paths.values():
            assert Path(path).exists(), path  # each probe aims at something real

        context = browser.new_context()
        page = context.new_page()
        login = log_in(page, hub, anna, agents[anna])
        output = run_in_page_kernel(page, login.kernel_socket,
                                    f"PATHS = {paths!r}\n{PROBE}")
        context.close()
    except Exception:
        print(hub.tail())  # shown with the failure
        raise
    finally:
        hub.stop()
    seen = json.loads(output)
    assert seen["uid"] != 0 and seen["uid"] == int(
        subprocess.run(["id", "-u", anna], capture_output=True, text=True).stdout)
    assert seen["probes"] == dict.fromkeys(paths, "denied"), seen["probes"]
    assert not [n for n in seen["env"] if n.startswith("SUPPORT_KIT_")
                and n not in ("SUPPORT_KIT_KEEPER_URL", "SUPPORT_KIT_DESK_ROLE")]
    for value in SECRET_VALUES:
        assert value not in seen["values"]
