from ish_portal.commands import main

main(prog="ish-portal")
