"""Assembles the site-vpn policy pack (the engine and `pulumi policy publish` run this)."""

from pack import pack_args
from pulumi_policy import PolicyPack

PolicyPack(**pack_args())
