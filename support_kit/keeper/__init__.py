"""The keeper: the one holder of secrets and writer of the desk's memory.

``Desk`` talks to a :class:`Keeper`: :class:`LocalKeeper` does the work in this process
(one machine, demo mode); :class:`RemoteKeeper` asks the team's keeper service
(``python -m support_kit.keeper.service``, run by JupyterHub) and holds no secret.

>>> from support_kit.desk import Desk
>>> desk = Desk.open(as_of="2026-12-01", store="sqlite://")
>>> isinstance(desk.keeper, Keeper), type(desk.keeper).__name__
(True, 'LocalKeeper')
"""

from .local import LocalKeeper
from .protocol import AGENT_KINDS, Keeper
from .remote import RemoteKeeper

__all__ = ["AGENT_KINDS", "Keeper", "LocalKeeper", "RemoteKeeper"]
