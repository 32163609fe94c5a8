"""NRS-to-NRS federation: a provincial or ministry node pushes its approved submissions up
to the national node in batches signed with the node's Ed25519 key."""
