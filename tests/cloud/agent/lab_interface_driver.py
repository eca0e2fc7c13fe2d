"""The lab's L3-agent interface driver: what ``OVSInterfaceDriver`` with ``ovs_use_veth`` does,
without Open vSwitch (this kernel has none). Each router port is a veth pair: one end in the
router's ``qrouter-*`` namespace, the other on a Linux bridge per Neutron network in the lab's
fabric namespace (named by ``SITE_VPN_FABRIC_NETNS``). Loaded by the agent from the lab's
PYTHONPATH; runs only in the cloud venv."""

import os

from neutron.agent.linux import interface, ip_lib
from neutron.privileged.agent.linux import ip_lib as privileged


def bridge_name(network_id: str) -> str:
    """The fabric bridge of a Neutron network (tests/cloud/fixture.py spells it the same)."""
    return f"br{network_id[:11]}"


class VethBridgeDriver(interface.LinuxInterfaceDriver):
    """Router ports as veth pairs onto per-network Linux bridges in the fabric namespace."""

    DEV_NAME_PREFIX = "ns-"

    @property
    def fabric(self) -> str:
        return os.environ["SITE_VPN_FABRIC_NETNS"]

    def _peer(self, device_name: str) -> str:
        return f"v{device_name[3:]}"[:15]

    def _ensure_bridge(self, name: str) -> ip_lib.IPDevice:
        if not ip_lib.device_exists(name, namespace=self.fabric):
            try:
                privileged.create_interface(name, self.fabric, "bridge")
            except privileged.InterfaceAlreadyExists:
                pass  # another router's port of the same network made it just now
        bridge = ip_lib.IPWrapper(namespace=self.fabric).device(name)
        bridge.link.set_up()
        return bridge

    def plug_new(
        self,
        network_id,
        port_id,
        device_name,
        mac_address,
        bridge=None,
        namespace=None,
        prefix=None,
        mtu=None,
    ):
        """Create the veth pair, put one end in the router, the other on the bridge."""
        fabric = ip_lib.IPWrapper(namespace=self.fabric)
        bridge_dev = self._ensure_bridge(bridge_name(network_id))
        root_dev, ns_dev = fabric.add_veth(
            self._peer(device_name), device_name, namespace2=namespace
        )
        root_dev.disable_ipv6()
        ns_dev.link.set_address(mac_address)
        if mtu:
            ns_dev.link.set_mtu(mtu)
            root_dev.link.set_mtu(mtu)
        master = privileged.get_link_id(bridge_dev.name, self.fabric)
        privileged.set_link_attribute(root_dev.name, self.fabric, master=master)
        root_dev.link.set_up()
        ns_dev.link.set_up()

    def unplug(self, device_name, bridge=None, namespace=None, prefix=None):
        """Delete the pair (both ends go with either)."""
        device = ip_lib.IPDevice(device_name, namespace=namespace)
        if device.exists():
            device.link.delete()

    def set_mtu(self, device_name, mtu, namespace=None, prefix=None):
        """Both ends of the pair."""
        ip_lib.IPDevice(device_name, namespace=namespace).link.set_mtu(mtu)
        peer = ip_lib.IPDevice(self._peer(device_name), namespace=self.fabric)
        if peer.exists():
            peer.link.set_mtu(mtu)
