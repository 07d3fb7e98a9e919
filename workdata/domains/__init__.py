"""Domain registry: adding a domain is one module plus one line here."""

from __future__ import annotations

from workdata.core.domain import Domain
from workdata.domains import annuity_income, annuity_performance

DOMAINS: dict[str, Domain] = {
    module.DOMAIN.name: module.DOMAIN
    for module in (
        annuity_performance,
        annuity_income,
    )
}
