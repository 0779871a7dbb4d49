"""The review and interview panel: who sits on an edition's panel, and the panel members' own
pages. Above nominations, which it reads; below placement, which reads only what the panel
decided about a nomination."""
