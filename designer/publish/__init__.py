"""Publishing: compilers from a flow to each target's native body, the capability
check that lists what a target cannot express, and the HTTP clients that send
the bodies (the only HTTP in the program lives here)."""
