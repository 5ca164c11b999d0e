"""Voxel grids to triangle meshes: marching cubes (scikit-image) and glTF / OBJ files (trimesh).

A grid is (4, D, D, D), opacity then RGB in [0, 1] (data/projection.py's layout). The surface is
where opacity crosses a level (0.5 by default); the grid is padded with one empty voxel each side
first, so a shape touching the grid's faces is still closed (watertight). Vertices get the
colour of the voxel they lie in. Coordinates: the grid spans [-1, 1] on every axis, and the mesh
is Y-up as glTF wants: x right, y up (the grid's rows run down), z towards the viewer.

Both libraries are an optional extra (``pip install 'artgan[mesh]'``), imported when a mesh is
made, so the rest of artgan works without them.
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError

MESH_FORMATS = (".glb", ".obj")


def _libraries():
    try:
        import trimesh
        from skimage import measure
    except ImportError:
        raise ConfigError(
            "meshes need scikit-image and trimesh: pip install 'artgan[mesh]'"
        ) from None
    return measure, trimesh


def grid_to_mesh(volume: np.ndarray, level: float = 0.5):
    """A closed trimesh.Trimesh of the surface where opacity crosses ``level``, with vertex
    colours; None when no voxel reaches it (an empty grid has no surface)."""
    measure, trimesh = _libraries()
    volume = np.asarray(volume, dtype=np.float32)
    opacity = np.pad(volume[0], 1)  # empty all round: the surface closes at the grid's faces
    if not opacity.max() > level:
        return None
    vertices, faces, _, _ = measure.marching_cubes(opacity, level)  # (z, y, x) padded indices
    side = volume.shape[-1]
    index = vertices - 1.0  # voxel indices of the unpadded grid
    nearest = np.clip(np.round(index).astype(int), 0, side - 1)
    colour = volume[1:4, nearest[:, 0], nearest[:, 1], nearest[:, 2]].T  # (V, 3)
    rgba = np.concatenate([colour, np.ones((len(colour), 1))], axis=1)
    z, y, x = ((index + 0.5) / side * 2.0 - 1.0).T  # voxel centres span (-1, 1)
    mesh = trimesh.Trimesh(
        np.stack([x, -y, -z], axis=1),  # Y-up, z towards the viewer
        faces,
        vertex_colors=np.round(rgba * 255).astype(np.uint8),
        process=True,
    )
    if mesh.volume < 0:  # marching cubes' winding points the normals inwards here
        mesh.invert()
    return mesh


def mesh_bytes(mesh, suffix: str) -> bytes:
    """The mesh as a file's bytes: binary glTF (.glb) or Wavefront OBJ with vertex colours."""
    if suffix == ".glb":
        return mesh.export(file_type="glb")
    if suffix == ".obj":
        return mesh.export(file_type="obj", include_color=True).encode("utf-8")
    raise ConfigError(f"meshes are written as {' or '.join(MESH_FORMATS)}, not {suffix}")


def surface_points(mesh, count: int, seed: int = 0) -> np.ndarray:
    """(count, 3) points drawn uniformly on the mesh's surface (by area), deterministic."""
    _, trimesh = _libraries()
    points, _ = trimesh.sample.sample_surface(mesh, count, seed=seed)
    return np.asarray(points, dtype=np.float32)
