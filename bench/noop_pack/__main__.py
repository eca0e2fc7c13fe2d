"""Assembles the no-op benchmark pack."""

from pack import pack_args
from pulumi_policy import PolicyPack

PolicyPack(**pack_args())
