"""Tests of the model-zoo metadata: model-index.yml and the metafile of each method folder."""

import glob
import os.path as osp

import pytest
import yaml

from headpose.testing import REPO_ROOT

INDEX = osp.join(REPO_ROOT, 'model-index.yml')


def load(path: str):
    with open(osp.join(REPO_ROOT, path)) as f:
        return yaml.safe_load(f)


def metafiles() -> list:
    return load('model-index.yml')['Import']


def method_folders() -> list:
    """Folders of configs/ (not _base_) that hold at least one config."""
    return sorted(osp.relpath(d, REPO_ROOT) for d in glob.glob(osp.join(REPO_ROOT, 'configs', '*'))
                  if osp.isdir(d) and osp.basename(d) != '_base_'
                  and glob.glob(osp.join(d, '*.py')))


def test_index_imports_one_metafile_per_method_folder():
    imported = metafiles()
    assert len(imported) == len(set(imported))
    for path in imported:
        assert osp.isfile(osp.join(REPO_ROOT, path)), f'model-index.yml: {path} does not exist'
    expected = {osp.join(folder, 'metafile.yml') for folder in method_folders()}
    missing = expected - set(imported)
    assert not missing, f'method folders without a metafile in model-index.yml: {missing}'


@pytest.mark.parametrize('path', metafiles())
def test_collections_name_their_paper(path):
    collections = load(path)['Collections']
    assert collections, path
    for c in collections:
        assert c['Name'] and c['Paper']['Title'], path
        assert c['Paper']['URL'].startswith('https://'), path
        readme = c.get('README')
        if readme and not osp.isfile(osp.join(REPO_ROOT, readme)):
            pytest.skip(f'{path}: {readme} is not written yet')


@pytest.mark.parametrize('path', metafiles())
def test_models_match_the_configs_of_their_folder(path):
    data = load(path)
    folder = osp.dirname(path)
    collections = {c['Name'] for c in data['Collections']}
    names, listed = set(), set()
    for model in data['Models']:
        name, config = model['Name'], model['Config']
        assert name not in names, f'{path}: {name} is listed twice'
        names.add(name)
        assert model['In Collection'] in collections, f'{path}: {name}: unknown collection'
        assert osp.isfile(osp.join(REPO_ROOT, config)), f'{path}: {name}: {config} does not exist'
        assert osp.dirname(config) == folder, f'{path}: {name}: {config} is not in {folder}'
        assert name == osp.splitext(osp.basename(config))[0], f'{path}: {name} != {config}'
        listed.add(config)
        for other in ('Trained With', ):
            ref = model['Metadata'].get(other)
            if ref:
                assert osp.isfile(osp.join(REPO_ROOT, ref)), f'{path}: {name}: {ref} missing'
        for result in model.get('Results') or []:
            assert result['Task'] and result['Dataset'], f'{path}: {name}'
            assert result['Metrics'] and all(isinstance(v, (int, float))
                                             for v in result['Metrics'].values()), \
                f'{path}: {name}: metrics must be measured numbers'
    present = {osp.relpath(p, REPO_ROOT)
               for p in glob.glob(osp.join(REPO_ROOT, folder, '*.py'))}
    unlisted = sorted(present - listed)
    assert not unlisted, f'configs missing from {path}: {unlisted}'
