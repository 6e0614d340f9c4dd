"""The owner's management operations (keys, integrations, channels, deliveries), below both
entry points that offer them: the developer API (JSON, owner keys) and the developer portal
(HTML, signed-in owners). Each rule lives here once; the entry points read a request, call
these, and write an answer in their own format."""
