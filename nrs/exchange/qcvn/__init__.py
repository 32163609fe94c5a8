"""The objects of the national exchange standard QCVN 125:2021/BTTTT, as JSON.

The standard defines 13 packet types exchanged between ministry, province and Government
reporting systems; its field-level schemas were not available to us, so each packet here
carries the same object built from NRS's own models (docs/exchange.md lists the mapping and
what is assumed). The layer is pluggable: ``registry.PACKETS`` maps a packet type's code to
one class, each in its own module under ``packets/``; adding a module adds the type, its
operation at ``/api/qcvn/packets/<code>`` and its schema in the OpenAPI.
"""
