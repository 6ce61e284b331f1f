"""The pylint plugin, under the name ``pylint --load-plugins`` is given."""

from api_hardening_lint.plugins.pylint import ApiHardeningChecker, register

__all__ = ["ApiHardeningChecker", "register"]
