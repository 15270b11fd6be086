"""Alias ``live``'s routing configuration: the new version's share of a split (traffic-steps).

``live`` keeps pointing at the previous version while the new one takes ``p`` % through
``RoutingConfig.AdditionalVersionWeights`` (``{new: p / 100}``); ``0`` clears the routing
configuration, all the traffic back on the previous version. Each write is an
``UpdateAlias`` conditional on the ``RevisionId`` of a read that found the split this run
left: any other split (or a refused write whose re-read does not show this run's own) is
another run's move, raised as :class:`MovedPast` and left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...errors import PmcpActionError
from .failures import aws_step, has_code
from .function import ALIAS, FunctionManager

__all__ = ["MovedPast", "Split", "read_split", "shift_split"]


@dataclass(frozen=True)
class Split:
    """Alias ``live`` as read: its version, the additional one's weight, the revision."""

    version: str = ""
    #: Additional version -> its weight (0.0 to 1.0).
    weights: dict[str, float] = field(default_factory=dict)
    revision: str = ""
    description: str = ""

    def shares(self) -> dict[str, int]:
        """Each version's whole percentage (versions without traffic left out)."""
        extra = {v: round(w * 100) for v, w in self.weights.items() if round(w * 100)}
        main = 100 - sum(extra.values())
        return ({self.version: main} if main and self.version else {}) | extra

    @property
    def serving(self) -> str:
        """The version taking the most traffic ("" without an alias)."""
        shares = self.shares()
        return max(shares, key=lambda v: shares[v]) if shares else ""


class MovedPast(Exception):
    """``live`` is not split as this run left it: another run moved it."""

    def __init__(self, split: Split) -> None:
        super().__init__(split.serving)
        self.split = split


def read_split(functions: FunctionManager) -> Split:
    """Alias ``live`` and its routing configuration; nothing changed."""
    with aws_step(f"read the alias {ALIAS}"):
        alias = functions.lam.get_alias(FunctionName=functions.name, Name=ALIAS)
    routing = alias.get("RoutingConfig") or {}
    weights = routing.get("AdditionalVersionWeights") or {}
    return Split(
        version=str(alias.get("FunctionVersion", "")),
        weights={str(k): float(v) for k, v in weights.items()},
        revision=str(alias.get("RevisionId", "")),
        description=str(alias.get("Description", "")),
    )


def _wanted(version: str, previous: str, percent: int) -> dict[str, int]:
    shares = {previous: 100 - percent, version: percent}
    return {name: share for name, share in shares.items() if share}


def shift_split(
    functions: FunctionManager, version: str, previous: str, percent: int, *, current: int
) -> bool:
    """Give ``version`` ``percent`` % of ``live`` (``previous`` the rest), from the split
    this run left (``current`` %); True when a write was made. ``percent == current`` only
    reads and checks. :class:`MovedPast` when another run moved it."""
    left, wanted = _wanted(version, previous, current), _wanted(version, previous, percent)
    split = read_split(functions)
    found = split.shares()
    # ``live`` must still point at the previous version: a split is always expressed on it.
    if split.version != previous or found not in (left, wanted):
        raise MovedPast(split)
    if percent == current or found == wanted:
        return False
    routing: dict[str, Any] = {version: percent / 100} if percent else {}
    try:
        functions.call(
            f"give version {version} {percent} % of alias {ALIAS}",
            "update_alias",
            FunctionName=functions.name,
            Name=ALIAS,
            FunctionVersion=previous,
            Description=split.description,
            RoutingConfig={"AdditionalVersionWeights": routing},
            RevisionId=split.revision,
        )
    except PmcpActionError as exc:
        cause = exc.__cause__
        if not has_code(cause or exc, "PreconditionFailedException"):
            raise
        # A write of ours whose answer was lost, sent again: the alias shows it already.
        again = read_split(functions)
        if again.version != previous or again.shares() != wanted:
            raise MovedPast(again) from None
    return True
