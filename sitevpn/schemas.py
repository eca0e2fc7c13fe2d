"""Regenerate the checked-in schemas: ``python -m sitevpn.schemas``."""

import json
from pathlib import Path

from sitevpn.config import stack_file_schema

ROOT = Path(__file__).resolve().parent.parent


def provider_schema() -> dict:
    """The component provider's schema, exactly as GetSchema serves it."""
    from sitevpn.provider import SiteVpnProvider

    return SiteVpnProvider().schema_document()


TARGETS = {
    ROOT / "stacks" / "stack-config.schema.json": stack_file_schema,
    ROOT / "components" / "schema.json": provider_schema,
}


def render(build) -> str:
    """The file content for one schema."""
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    """Write every schema."""
    for path, build in TARGETS.items():
        path.write_text(render(build))
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
