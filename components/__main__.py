"""Component provider plugin: the language host runs ``python <this folder> <engine>``."""

from sitevpn.provider import main

main()
