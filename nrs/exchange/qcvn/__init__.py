"""The objects of the national exchange standard QCVN 125:2021/BTTTT, as JSON."""
