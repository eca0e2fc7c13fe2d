"""Plugin entry point: the Python language host runs ``python <plugin dir> <engine address>``
and reads the provider's port from stdout."""

import sys
from pathlib import Path

# The plugin directory is components/; its modules import each other as ``components.*``.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi.provider import main

from components.provider import SiteVpnProvider

if __name__ == "__main__":
    # What pulumi.provider.experimental.component_provider_host does, with site-vpn's provider
    # subclass: the host offers no hook to mark the PSK secret in the inferred schema.
    main(SiteVpnProvider(), sys.argv[1:])
