"""The version of a module's published materials as the module page lists them (one
lean query; lms.caching makes it part of the page's ETag and guest-cache key)."""

from __future__ import annotations

from sqlalchemy import Text, and_, select, type_coerce

from lms.caching.versions import digest, read_rows
from lms.materials.models import Material, MaterialVersion


def published_materials_version(module_id: int) -> str:
    """Changes when a material is published, withdrawn, edited, reordered or replaced
    (not when it is downloaded: the count is not shown)."""
    rows = read_rows(
        select(
            Material.id,
            Material.position,
            Material.kind,
            type_coerce(Material.title, Text),
            type_coerce(Material.description, Text),
            type_coerce(Material.languages, Text),
            Material.visibility,
            Material.url,
            MaterialVersion.id,
            MaterialVersion.filename,
            MaterialVersion.size,
        )
        .outerjoin(
            MaterialVersion, and_(MaterialVersion.material_id == Material.id, MaterialVersion.is_current)
        )
        .where(Material.module_id == module_id, Material.is_published)
        .order_by(Material.id)
    )
    return digest(rows)
