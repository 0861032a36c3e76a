"""Money columns in the admin, in the one money format (ui.usd: "$1,234.50"): the admin's own
display of a DecimalField has no thousands separator and no "$" ("27663.73")."""

from django.contrib import admin

from ismartpay.core.templatetags.ui import usd


def money_column(field: str, description: str | None = None):
    """A ModelAdmin/inline method showing `field` as usd; name it in list_display or
    readonly_fields in place of the field: `amount_usd = money_column("amount")`."""

    @admin.display(description=description or field.replace("_", " "), ordering=field)
    def column(self, obj):
        return usd(getattr(obj, field))

    column.__name__ = f"{field}_usd"
    return column
