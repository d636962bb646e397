"""Who is working: the name JupyterHub logged in, unless the desk sets one."""

import getpass

from support_kit.config import load_settings


def test_the_agent_is_who_jupyterhub_logged_in(monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    assert load_settings().agent == getpass.getuser()
    monkeypatch.setenv("JUPYTERHUB_USER", "anna")
    assert load_settings().agent == "anna" and load_settings().demo
    monkeypatch.setenv("SUPPORT_KIT_AGENT", "ben")
    assert load_settings().agent == "ben" and load_settings().demo
