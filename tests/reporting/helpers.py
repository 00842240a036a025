from __future__ import annotations


def form(values: dict, base_version: int, action: str = "save", **extra) -> dict[str, str]:
    """The posted report form: ``{indicator: {field: value}}`` → ``i<id>.<field>`` keys."""
    data = {"base_version": str(base_version), "action": action, **extra}
    for indicator, fields in values.items():
        for name, value in fields.items():
            data[f"i{indicator.id}.{name}"] = value
    return data


def report_url(world, month: int = 7, unit=None) -> str:
    return f"/reports/{(unit or world.unit).code}/2023/{month}"
