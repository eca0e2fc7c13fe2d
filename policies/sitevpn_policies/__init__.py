"""site-vpn policy pack: documented OpenStack VPNaaS constraints, enforced before deployment.

Self-contained: imports nothing from the site-vpn program, so any stack that creates
pulumi-openstack VPNaaS resources can use it.
"""
