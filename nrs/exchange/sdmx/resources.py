"""SDMX 2.1 REST structure queries: which artefacts a path names, and which artefacts
``references=`` adds (SDMX RESTful web services specification, section 4.3).

The artefacts and what each references (a parent references its children):

- dataflow DF_<area> -> the DSD;
- DSD_NRS -> CS_NRS and the codelists its dimensions and attributes use;
- the allowed content constraint CC_<dataflow> -> its dataflow;
- the categorisation CAT_<dataflow> -> its dataflow and CAT_NRS (the category scheme of the
  nine areas);
- codelists, CS_NRS, CAT_NRS and the agency scheme reference nothing.

``references``: none; parents (what references it); parentsandsiblings (those, and what they
reference); children (what it references); descendants (those, recursively); all
(parentsandsiblings and descendants); or a structure type (the artefacts of that type it is
related to, either way and recursively).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sdmx.model import common
from sdmx.model import v21 as m

from nrs.exchange.sdmx import constraints
from nrs.exchange.sdmx.structures import VERSION, Structures, area_label, names
from nrs.registry.models import Area

# The structure resources NRS serves, and the 2.1 ones it does not (501).
BUILT = ("agencyscheme", "categorisation", "categoryscheme", "codelist", "conceptscheme", "contentconstraint",
         "dataflow", "datastructure")
ALIASES = {"allowedconstraint": "contentconstraint"}
EVERYTHING = ("structure", "all", "*")
NOT_BUILT = ("actualconstraint", "attachementconstraint", "customtypescheme", "dataconsumerscheme",
             "dataproviderscheme", "hierarchicalcodelist", "metadataflow", "metadatastructure",
             "namepersonalisationscheme", "organisationscheme", "organisationunitscheme", "process",
             "provisionagreement", "reportingtaxonomy", "rulesetscheme", "structureset", "transformationscheme",
             "userdefinedoperatorscheme", "vtlmappingscheme", "metadata", "registration")
REFERENCES = ("none", "parents", "parentsandsiblings", "children", "descendants", "all")
CATEGORY_SCHEME = "CAT_NRS"
SDMX_AGENCY = "SDMX"


@dataclass
class Artefacts:
    """Every maintainable artefact NRS publishes, by resource, and who references whom."""

    by_resource: dict[str, list[Any]]
    children: dict[int, list[Any]]

    def parents(self, obj: Any) -> list[Any]:
        return [parent for group in self.by_resource.values() for parent in group
                if any(child is obj for child in self.children.get(id(parent), []))]

    def descendants(self, obj: Any) -> list[Any]:
        found: list[Any] = []
        todo = list(self.children.get(id(obj), []))
        while todo:
            item = todo.pop(0)
            if all(item is not seen for seen in found):
                found.append(item)
                todo += self.children.get(id(item), [])
        return found

    def ancestors(self, obj: Any) -> list[Any]:
        found: list[Any] = []
        todo = self.parents(obj)
        while todo:
            item = todo.pop(0)
            if all(item is not seen for seen in found):
                found.append(item)
                todo += self.parents(item)
        return found

    def resource_of(self, obj: Any) -> str:
        return next(resource for resource, group in self.by_resource.items() if any(o is obj for o in group))

    def referenced(self, chosen: list[Any], references: str) -> list[Any]:
        """What ``references`` adds to ``chosen`` (not ``chosen`` itself)."""
        found: list[Any] = []
        for obj in chosen:
            match references:
                case "none":
                    extra: list[Any] = []
                case "parents":
                    extra = self.parents(obj)
                case "parentsandsiblings":
                    extra = [x for p in self.parents(obj) for x in (p, *self.children.get(id(p), []))]
                case "children":
                    extra = list(self.children.get(id(obj), []))
                case "descendants":
                    extra = self.descendants(obj)
                case "all":
                    extra = [*self.referenced([obj], "parentsandsiblings"), *self.descendants(obj)]
                case kind:
                    extra = [x for x in (*self.ancestors(obj), *self.descendants(obj))
                             if self.resource_of(x) == kind]
            found += extra
        unique: list[Any] = []
        for item in found:
            if all(item is not seen for seen in (*unique, *chosen)):
                unique.append(item)
        return unique


def _category_scheme(structures: Structures) -> tuple[m.CategoryScheme, list[m.Categorisation]]:
    scheme = m.CategoryScheme(id=CATEGORY_SCHEME, name=names("Lĩnh vực chỉ tiêu", "Indicator areas"),
                              maintainer=structures.agency, version=VERSION, is_final=True,
                              is_external_reference=False)
    categorisations = []
    for flow, area in structures.flow_areas.items():
        category = common.Category(id=Area(area).name, name=names(area_label(area, "vi"), area_label(area, "en")))
        scheme.append(category)
        categorisations.append(m.Categorisation(
            id=f"CAT_{flow}", name=names(f"{flow} trong {CATEGORY_SCHEME}", f"{flow} in {CATEGORY_SCHEME}"),
            maintainer=structures.agency, version=VERSION, is_final=True, is_external_reference=False,
            artefact=structures.dataflows[flow], category=category))
    return scheme, categorisations


def _agency_scheme(structures: Structures) -> common.AgencyScheme:
    sdmx_agency = common.Agency(id=SDMX_AGENCY, name=names("SDMX", "SDMX"))
    scheme = common.AgencyScheme(id="AGENCIES", name=names("Cơ quan duy trì", "Maintenance agencies"),
                                 maintainer=sdmx_agency, version="1.0", is_final=False,  # fixed by the schema
                                 is_external_reference=False)
    scheme.append(common.Agency(id=structures.agency.id, name=structures.agency.name))
    return scheme


def artefacts(structures: Structures, *, with_constraints: bool = True) -> Artefacts:
    """The artefacts of ``structures``, with the allowed content constraints (a few queries
    of the catalogue) unless ``with_constraints`` is false."""
    scheme, categorisations = _category_scheme(structures)
    allowed = list(constraints.allowed(structures).values()) if with_constraints else []
    by_resource: dict[str, list[Any]] = {
        "agencyscheme": [_agency_scheme(structures)],
        "categoryscheme": [scheme],
        "categorisation": categorisations,
        "codelist": list(structures.codelists.values()),
        "conceptscheme": [structures.concepts],
        "contentconstraint": allowed,
        "dataflow": list(structures.dataflows.values()),
        "datastructure": [structures.dsd],
    }
    used = []
    for component in [*structures.dsd.dimensions, *structures.dsd.attributes]:
        representation = component.local_representation
        if representation is not None and representation.enumerated is not None:
            used.append(representation.enumerated)
    children: dict[int, list[Any]] = {
        id(structures.dsd): [structures.concepts, *used],
        **{id(flow): [structures.dsd] for flow in structures.dataflows.values()},
        **{id(c): list(c.content) for c in allowed},
        **{id(c): [c.artefact, scheme] for c in categorisations},
    }
    return Artefacts(by_resource, children)


def _matches(value: str, wanted: str, keywords: tuple[str, ...]) -> bool:
    """``wanted``: a keyword (any), or ids joined by ``+``."""
    return wanted.lower() in keywords or value in wanted.split("+")


def select(found: Artefacts, resource: str, agency: str, ident: str, version: str) -> list[Any]:
    """The artefacts of ``resource`` (or every resource: structure, all) that the agency, id
    and version name (each ``all``, or ids joined by ``+``; the version also ``latest``)."""
    resources = BUILT if resource in EVERYTHING else (resource,)
    return [obj for r in resources for obj in found.by_resource[r]
            if _matches(obj.maintainer.id, agency, ("all", "*"))
            and _matches(obj.id, ident, ("all", "*"))
            and _matches(str(obj.version or VERSION), version, ("all", "*", "latest", "~"))]
