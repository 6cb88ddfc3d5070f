"""Head boxes read from a JSON or CSV file, as a detector for the top-down path."""

import csv
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional

import numpy as np

from headpose.registry import TASK_UTILS

from .base import BaseHeadDetector


def _box_row(box, where: str) -> List[float]:
    """``[x1, y1, x2, y2]``, ``[x1, y1, x2, y2, score]`` or ``{"bbox": [...], "score": s}``."""
    score = 1.0
    if isinstance(box, dict):
        if 'bbox' not in box:
            raise ValueError(f'{where}: a box given as an object needs a "bbox" key, got {box}')
        score = float(box.get('score', 1.0))
        box = box['bbox']
    vals = [float(v) for v in box]
    if len(vals) == 5:
        vals, score = vals[:4], vals[4]
    if len(vals) != 4:
        raise ValueError(f'{where}: a box needs 4 numbers (x1, y1, x2, y2) and an optional '
                         f'score, got {box}')
    if vals[2] <= vals[0] or vals[3] <= vals[1]:
        raise ValueError(f'{where}: box {vals} is empty or not x1, y1, x2, y2 (x2 > x1, y2 > y1)')
    return vals + [score]


@TASK_UTILS.register_module()
class FileBoxDetector(BaseHeadDetector):
    """Reads head boxes per image from a file instead of detecting them.

    Boxes are ``x1, y1, x2, y2`` in pixels of the original image, with an optional
    score (1.0 when absent). Accepted formats:

    * JSON object mapping an image to its boxes, each box a list of 4 or 5 numbers or
      ``{"bbox": [x1, y1, x2, y2], "score": s}``::

          {"img/a.jpg": [[10, 20, 110, 140], [200, 30, 280, 130, 0.9]], "b.jpg": []}

    * JSON list of ``{"file": name, "heads": [{"bbox": [...], "score": s}, ...]}``, or
      the ``results.json`` written by ``demo/image_demo.py`` (an object whose
      ``"results"`` is such a list): a run's boxes can be fed to another model.
    * CSV with a header line ``file,x1,y1,x2,y2`` and an optional ``score`` column,
      one box a row; a row with empty coordinates lists an image with no head.

    An image is looked up by its path as given, then by its path relative to the
    box file's folder, then by its file name (when that name is unique in the file).
    An image that the file does not list is an error (``KeyError``), not an empty
    detection: only an image listed with no box has no head.

    Args:
        path: the JSON (``.json``) or CSV (``.csv``) file.
    """

    def __init__(self, path: str):
        if not osp.isfile(path):
            raise FileNotFoundError(f'FileBoxDetector: box file not found: {path}')
        self.path = path
        if path.lower().endswith('.json'):
            table = self._read_json(path)
        elif path.lower().endswith('.csv'):
            table = self._read_csv(path)
        else:
            raise ValueError(f'FileBoxDetector: the box file must be .json or .csv, got {path}')
        self.boxes: Dict[str, np.ndarray] = {
            osp.normpath(k): np.asarray(v, np.float32).reshape(-1, 5) for k, v in table.items()}
        names = defaultdict(list)
        for key in self.boxes:
            names[osp.basename(key)].append(key)
        self._by_name = {n: keys[0] for n, keys in names.items() if len(keys) == 1}

    @staticmethod
    def _read_json(path: str) -> dict:
        with open(path, encoding='utf-8') as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as err:
                raise ValueError(f'FileBoxDetector: {path} is not valid JSON: {err}') from err
        if isinstance(data, dict) and isinstance(data.get('results'), list):
            data = data['results']
        table = {}
        if isinstance(data, dict):
            for name, boxes in data.items():
                table[name] = [_box_row(b, f'{path} [{name}]') for b in boxes]
        elif isinstance(data, list):
            for i, rec in enumerate(data):
                if not isinstance(rec, dict) or 'file' not in rec:
                    raise ValueError(f'FileBoxDetector: {path} record {i} has no "file" key')
                heads = rec.get('heads', rec.get('bboxes', []))
                table[rec['file']] = [_box_row(b, f'{path} [{rec["file"]}]') for b in heads]
        else:
            raise ValueError(f'FileBoxDetector: {path} must hold a JSON object or list')
        return table

    @staticmethod
    def _read_csv(path: str) -> dict:
        table = defaultdict(list)
        with open(path, newline='', encoding='utf-8') as f:
            reader = csv.DictReader(f)
            need = {'file', 'x1', 'y1', 'x2', 'y2'}
            if reader.fieldnames is None or not need <= set(reader.fieldnames):
                raise ValueError(f'FileBoxDetector: {path} needs a header line with the columns '
                                 f'file,x1,y1,x2,y2[,score]; got {reader.fieldnames}')
            for line, row in enumerate(reader, start=2):
                name = row['file']
                coords = [row[k] for k in ('x1', 'y1', 'x2', 'y2')]
                if all(c is None or not c.strip() for c in coords):
                    table[name]  # listed, without a head
                    continue
                box = coords + ([row['score']] if row.get('score') else [])
                table[name].append(_box_row(box, f'{path} line {line}'))
        return dict(table)

    def detect(self, img: np.ndarray, img_path: Optional[str] = None) -> np.ndarray:
        """The boxes listed for ``img_path`` (the image itself is not looked at)."""
        if img_path is None:
            raise KeyError(f'FileBoxDetector: boxes from {self.path} are looked up by file '
                           'name, but the image was given as an array without a path')
        key = osp.normpath(img_path)
        candidates = [key, osp.normpath(osp.relpath(osp.abspath(img_path),
                                                    osp.dirname(osp.abspath(self.path))))]
        for cand in candidates:
            if cand in self.boxes:
                return self.boxes[cand].copy()
        name = osp.basename(key)
        if name in self._by_name:
            return self.boxes[self._by_name[name]].copy()
        raise KeyError(f'FileBoxDetector: {img_path} is not listed in {self.path} '
                       f'(looked up as {candidates[0]!r}, {candidates[1]!r} and {name!r})')


__all__ = ['FileBoxDetector']
