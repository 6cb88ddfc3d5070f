"""The annotation cache (parsed labels of a folder kept in one ``.npz``) and the compact index.

Parsing the 122,450 ``.mat`` files of 300W-LP takes about a minute; doing it at every
start (and in every process) is what this module avoids:

* :func:`scan_folder` lists a folder's annotation files with their sizes and
  modification times, and :func:`fingerprint` hashes that list.
* :func:`load_folder_annotations` returns the parsed arrays of one folder: from the
  cache when its stored fingerprint matches, else by parsing every file (with a tqdm
  progress bar) and writing the cache. Any added, removed, resized or touched file
  changes the fingerprint, so a stale cache is never used.
* :class:`PoseTable` keeps a whole dataset as a few numpy arrays (paths as bytes,
  (N, 3, 3) rotations, (N, 4) boxes, int identity codes) and builds the per-sample dict
  only when a sample is asked for: about 130 bytes per sample instead of a dict with
  small arrays (about 1 KB), and shared copy-on-write by forked data-loader workers.

Where the cache lives, first match wins (for reading: the first holding a cache with the
right fingerprint; for writing: the first writable):

1. the dataset's ``cache_dir`` argument, if given;
2. else the ``HEADPOSE_CACHE_DIR`` environment variable, if set;
3. else ``<data_root>/.headpose_cache`` and then the user cache folder
   ``$XDG_CACHE_HOME/headpose/annotations`` (``~/.cache/headpose/annotations``), so a
   read-only data root works: its cache goes to the user folder.

One cache file per source folder (e.g. per 300W-LP subset), named after the folder and
a hash of its absolute path, so selecting other subsets reuses the caches of the rest.
"""

import hashlib
import io
import json
import logging
import os
import os.path as osp
import tempfile
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Union

import numpy as np
from mmengine.logging import print_log
from tqdm import tqdm

from headpose.utils.checkpoint_io import write_atomically

#: Bump to invalidate every cache file written by an older layout of this module.
CACHE_FORMAT = 1
META_KEY = '__meta__'


class FolderListing(NamedTuple):
    """The annotation files of one folder, sorted by name.

    Attributes:
        folder: the folder.
        ann_suffix: the annotation files' suffix (``'.mat'``, ``'_pose.txt'``).
        stems: file names without ``ann_suffix``.
        stats: ``(size, mtime_ns)`` of each annotation file.
        images: stems that also have an image (``stem + img_suffix``).
    """
    folder: str
    ann_suffix: str
    stems: List[str]
    stats: List[tuple]
    images: frozenset


def scan_folder(folder: str, ann_suffix: str, img_suffix: str) -> FolderListing:
    """Lists the annotation files of ``folder`` (one ``os.scandir``, one stat per file).

    Args:
        folder: the folder to list (not recursive).
        ann_suffix: suffix of the annotation files.
        img_suffix: suffix of the images; which stems have one is recorded.
    """
    anns, imgs = [], set()
    with os.scandir(folder) as it:
        for entry in it:
            name = entry.name
            if name.endswith(ann_suffix):
                st = entry.stat()
                anns.append((name[:-len(ann_suffix)], st.st_size, st.st_mtime_ns))
            elif name.endswith(img_suffix):
                imgs.add(name[:-len(img_suffix)])
    anns.sort()
    return FolderListing(folder, ann_suffix, [a[0] for a in anns], [a[1:] for a in anns],
                         frozenset(imgs))


def scan_annotated_folder(folder: str, ann_suffix: str, img_suffix: str, who: str,
                          expected: str) -> FolderListing:
    """:func:`scan_folder`, checking that the folder has annotations and each an image.

    Args:
        folder: the folder.
        ann_suffix: suffix of the annotation files.
        img_suffix: suffix of the images.
        who: the data set type, to name in errors.
        expected: the layout to describe in the error for an empty folder.

    Images without an annotation are left out of the data set and named in the log
    (their number and the first five), never dropped without a word.

    Raises:
        FileNotFoundError: no annotation in the folder, or annotations without an image
            (naming the first five).
    """
    listing = scan_folder(folder, ann_suffix, img_suffix)
    unannotated = sorted(listing.images.difference(listing.stems))
    if unannotated:
        print_log(f'{who}: {len(unannotated)} {img_suffix} images in {folder} have no '
                  f'{ann_suffix} annotation and are skipped, e.g. '
                  f'{", ".join(u + img_suffix for u in unannotated[:5])}',
                  logger='current', level=logging.WARNING)
    if not listing.stems:
        raise FileNotFoundError(
            f'{who}: no {ann_suffix} annotation in {folder} (it has {len(listing.images)} '
            f'{img_suffix} images); expected {expected} (see docs/dataset_prepare.md)')
    missing = [s for s in listing.stems if s not in listing.images]
    if missing:
        raise FileNotFoundError(
            f'{who}: {len(missing)} annotations in {folder} have no image, e.g. '
            f'{", ".join(m + img_suffix for m in missing[:5])}')
    return listing


def fingerprint(listing: FolderListing, salt: str = '') -> str:
    """A hash of the file names, sizes and modification times (and ``salt``)."""
    h = hashlib.sha1(f'{CACHE_FORMAT}|{salt}|{listing.ann_suffix}\n'.encode())
    for stem, (size, mtime) in zip(listing.stems, listing.stats):
        h.update(f'{stem}\0{size}\0{mtime}\n'.encode())
    return h.hexdigest()


def user_cache_dir() -> str:
    """``$XDG_CACHE_HOME/headpose/annotations``, or ``~/.cache/headpose/annotations``."""
    base = os.environ.get('XDG_CACHE_HOME') or osp.join(osp.expanduser('~'), '.cache')
    return osp.join(base, 'headpose', 'annotations')


def cache_dirs(data_root: Optional[str], cache_dir: Optional[str] = None) -> List[str]:
    """The folders where a cache is looked for and written, in order (see the module doc)."""
    if cache_dir:
        return [cache_dir]
    if os.environ.get('HEADPOSE_CACHE_DIR'):
        return [os.environ['HEADPOSE_CACHE_DIR']]
    dirs = [osp.join(data_root, '.headpose_cache')] if data_root else []
    return dirs + [user_cache_dir()]


def _writable_dir(folder: str) -> bool:
    """Whether a file can be created in ``folder`` (created if needed)."""
    try:
        os.makedirs(folder, exist_ok=True)
        fd, path = tempfile.mkstemp(dir=folder, prefix='.probe-')
        os.close(fd)
        os.remove(path)
        return True
    except OSError:
        return False


class AnnotationCache:
    """The cache file of one source folder.

    Args:
        kind: the dataset kind, part of the file name (``'300wlp'``).
        source_dir: the folder whose annotations are cached.
        dirs: candidate cache folders in order (see :func:`cache_dirs`).
    """

    def __init__(self, kind: str, source_dir: str, dirs: Sequence[str]):
        key = hashlib.sha1(osp.abspath(source_dir).encode()).hexdigest()[:12]
        self.name = f'{kind}_{osp.basename(osp.normpath(source_dir))}_{key}.npz'
        self.source_dir = source_dir
        self.dirs = list(dirs)

    def load(self, fp: str) -> Optional[Dict[str, np.ndarray]]:
        """The cached arrays if a cache file with fingerprint ``fp`` exists, else ``None``."""
        for folder in self.dirs:
            path = osp.join(folder, self.name)
            if not osp.isfile(path):
                continue
            try:
                with np.load(path, allow_pickle=False) as npz:
                    meta = json.loads(str(npz[META_KEY]))
                    if meta.get('fingerprint') != fp:
                        print_log(f'annotation cache {path} is out of date (files of '
                                  f'{self.source_dir} changed); parsing again',
                                  logger='current')
                        continue
                    return {k: npz[k] for k in npz.files if k != META_KEY}
            except Exception as err:  # a truncated or foreign file: parse again
                print_log(f'ignoring unreadable annotation cache {path}: {err}',
                          logger='current', level=logging.WARNING)
        return None

    def save(self, fp: str, arrays: Dict[str, np.ndarray]) -> Optional[str]:
        """Writes the arrays to the first writable folder; returns the path or ``None``."""
        meta = json.dumps(dict(fingerprint=fp, source=osp.abspath(self.source_dir),
                               format=CACHE_FORMAT))
        for folder in self.dirs:
            if not _writable_dir(folder):
                continue
            path = osp.join(folder, self.name)
            buf = io.BytesIO()
            np.savez(buf, **arrays, **{META_KEY: np.array(meta)})
            try:  # readers see the old file or the new one, never half of it
                write_atomically(buf.getvalue(), path)
                return path
            except OSError as err:  # names the file and the free space
                print_log(f'cannot write annotation cache {path}: {err}', logger='current',
                          level=logging.WARNING)
        print_log(f'no writable folder for the annotation cache of {self.source_dir} among '
                  f'{self.dirs}; the next start parses again (set cache_dir or '
                  'HEADPOSE_CACHE_DIR)', logger='current', level=logging.WARNING)
        return None


def encode_strings(strings: Sequence[str]) -> np.ndarray:
    """Strings as a compact fixed-width bytes array (utf-8)."""
    return np.array([s.encode('utf-8') for s in strings], dtype=np.bytes_)


def load_folder_annotations(listing: FolderListing, kind: str,
                            parse: Callable[[str], Dict[str, np.ndarray]], *,
                            parser_version: Union[int, str] = 1,
                            data_root: Optional[str] = None, cache: bool = True,
                            cache_dir: Optional[str] = None,
                            desc: Optional[str] = None) -> Dict[str, np.ndarray]:
    """The parsed annotations of a folder, from the cache or by parsing each file.

    Args:
        listing: the folder's annotation files (:func:`scan_folder`).
        kind: the dataset kind, part of the cache name.
        parse: ``path -> {field: array}`` for one annotation file; each field has one
            shape for all files. It raises, naming the file, on a bad annotation.
        parser_version: part of the fingerprint; change it when ``parse`` changes.
        data_root: the dataset's root (where ``.headpose_cache`` is tried first).
        cache: read and write the cache; ``False`` parses every time.
        cache_dir: an explicit cache folder.
        desc: the progress bar's label.

    Returns:
        ``{field: (N, ...) array}`` plus ``'stems'``: the listing's stems as bytes.
    """
    fp = fingerprint(listing, f'{kind}:{parser_version}')
    store = AnnotationCache(kind, listing.folder, cache_dirs(data_root, cache_dir)) \
        if cache else None
    if store is not None:
        arrays = store.load(fp)
        if arrays is not None and len(arrays.get('stems', ())) == len(listing.stems):
            return arrays
    n = len(listing.stems)
    arrays: Dict[str, np.ndarray] = {}
    bar = tqdm(listing.stems, desc=desc or f'parsing {listing.folder}', unit='file',
               mininterval=1.0, dynamic_ncols=True)
    for i, stem in enumerate(bar):
        row = parse(osp.join(listing.folder, stem + listing.ann_suffix))
        if not arrays:
            arrays = {k: np.empty((n, ) + np.shape(v), dtype=np.asarray(v).dtype)
                      for k, v in row.items()}
        for k, v in row.items():
            arrays[k][i] = v
    bar.close()
    arrays['stems'] = encode_strings(listing.stems)
    if store is not None:
        path = store.save(fp, arrays)
        if path:
            print_log(f'annotation cache written: {path} ({n} files)', logger='current')
    return arrays


class PoseTable:
    """A read-only sequence of sample dicts stored as compact numpy arrays.

    ``table[i]`` builds ``dict(img_path, gt_rotations (1, 3, 3), [gt_bboxes (1, 4)],
    [identity], [img])`` (one head per image); slicing
    and :meth:`take` give sub-tables. An mmengine dataset can return it from
    ``load_data_list`` (with ``serialize_data=False``): ``get_data_info`` and ``len`` then
    work unchanged.

    Args:
        img_root: folder the relative paths are joined to (``''``: paths as given).
        img_relpaths: (N,) bytes array of image paths relative to ``img_root``.
        rotations: (N, 3, 3) rotation labels.
        bboxes: (N, 4) [x1, y1, x2, y2] head boxes, or ``None``.
        identity_codes: (N,) int indices into ``identity_names``, or ``None``.
        identity_names: the identities' names.
        images: (N, H, W, 3) uint8 images held in memory (``img`` of each sample), or
            ``None`` to load them from ``img_path``.
    """

    def __init__(self, img_root: str, img_relpaths: np.ndarray, rotations: np.ndarray,
                 bboxes: Optional[np.ndarray] = None,
                 identity_codes: Optional[np.ndarray] = None,
                 identity_names: Optional[np.ndarray] = None,
                 images: Optional[np.ndarray] = None):
        n = len(img_relpaths)
        self.img_root = img_root
        self.img_relpaths = np.asarray(img_relpaths, dtype=np.bytes_)
        self.rotations = np.asarray(rotations, dtype=np.float64).reshape(n, 3, 3)
        self.bboxes = None if bboxes is None else \
            np.asarray(bboxes, dtype=np.float32).reshape(n, 4)
        self.identity_codes = None if identity_codes is None else \
            np.asarray(identity_codes, dtype=np.int32).reshape(n)
        self.identity_names = identity_names
        self.images = images
        if images is not None and len(images) != n:
            raise ValueError(f'PoseTable: {len(images)} images for {n} samples')

    def __len__(self) -> int:
        return len(self.img_relpaths)

    def img_path(self, idx: int) -> str:
        """The image path of sample ``idx``."""
        rel = self.img_relpaths[idx].decode('utf-8')
        return osp.join(self.img_root, rel) if self.img_root else rel

    def identity(self, idx: int) -> Optional[str]:
        """The identity of sample ``idx`` (``None`` if the table has none)."""
        if self.identity_codes is None:
            return None
        return str(self.identity_names[self.identity_codes[idx]])

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.take(np.arange(len(self))[idx])
        idx = int(idx)
        if not -len(self) <= idx < len(self):
            raise IndexError(f'sample {idx} out of range for {len(self)} samples')
        info = dict(img_path=self.img_path(idx), gt_rotations=self.rotations[idx][None].copy())
        if self.bboxes is not None:
            info['gt_bboxes'] = self.bboxes[idx][None].copy()
        if self.identity_codes is not None:
            info['identity'] = self.identity(idx)
        if self.images is not None:
            info['img'] = self.images[idx]
        return info

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def take(self, indices: Sequence[int]) -> 'PoseTable':
        """The sub-table of the given sample indices."""
        idx = np.asarray(indices, dtype=np.int64)

        def pick(a):
            return None if a is None else a[idx]

        return PoseTable(self.img_root, self.img_relpaths[idx], self.rotations[idx],
                         pick(self.bboxes), pick(self.identity_codes), self.identity_names,
                         pick(self.images))

    def clear(self) -> None:
        """Empties the table (mmengine calls this after serialising a data list)."""
        self.__init__(self.img_root, self.img_relpaths[:0], self.rotations[:0],
                      None if self.bboxes is None else self.bboxes[:0],
                      None if self.identity_codes is None else self.identity_codes[:0],
                      self.identity_names, None if self.images is None else self.images[:0])

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (the in-memory images included)."""
        arrays = (self.img_relpaths, self.rotations, self.bboxes, self.identity_codes,
                  self.identity_names, self.images)
        return int(sum(a.nbytes for a in arrays if a is not None))

    @staticmethod
    def concat(tables: Sequence['PoseTable']) -> 'PoseTable':
        """Joins tables with one ``img_root`` and no in-memory images; re-codes identities."""
        if not tables:
            raise ValueError('PoseTable.concat: no tables')
        roots = {t.img_root for t in tables}
        if len(roots) != 1 or any(t.images is not None for t in tables):
            raise ValueError('PoseTable.concat: tables need one img_root and no images')
        codes = names = None
        if all(t.identity_codes is not None for t in tables):
            offsets = np.cumsum([0] + [len(t.identity_names) for t in tables[:-1]])
            names = np.concatenate([np.asarray(t.identity_names, dtype=np.str_) for t in tables])
            codes = np.concatenate([t.identity_codes + o for t, o in zip(tables, offsets)])
            uniq, first = np.unique(names, return_inverse=True)
            if len(uniq) < len(names):  # one identity in several tables: merge its codes
                names, codes = uniq, first[codes]
        bboxes = None
        if all(t.bboxes is not None for t in tables):
            bboxes = np.concatenate([t.bboxes for t in tables])
        return PoseTable(roots.pop(), np.concatenate([t.img_relpaths for t in tables]),
                         np.concatenate([t.rotations for t in tables]), bboxes, codes, names)


def identity_table(names: Sequence[str]) -> tuple:
    """``(codes, unique_names)`` for a list of identity names."""
    uniq, codes = np.unique(np.asarray(names, dtype=np.str_), return_inverse=True)
    return codes.astype(np.int32), uniq


__all__ = ['AnnotationCache', 'FolderListing', 'PoseTable', 'cache_dirs', 'encode_strings',
           'fingerprint', 'identity_table', 'load_folder_annotations', 'scan_folder',
           'user_cache_dir']
