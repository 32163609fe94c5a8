"""Connected systems (issue 5): SDMX out, DHIS2 and ADX in, the QCVN 125 objects, pull
connectors, webhooks and NRS-to-NRS federation.

The exchange layer sits above reports, analytics, collection and the registry, below the
web: it translates other systems' messages into the same actions every other submission
goes through, and the stored data into other systems' formats. One subpackage per partner
format or mechanism; docs/exchange.md describes each.
"""
