"""TrainingPhaseHook: what is trainable in each phase, norms of frozen parts, logging."""

from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn

from headpose.engine.hooks import TrainingPhaseHook

PHASES = [dict(begin=0, trainable=['neck', 'bbox_head']),
          dict(begin=2, trainable=['backbone', 'neck', 'bbox_head']),
          dict(begin=5, trainable='all')]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.data_preprocessor = nn.Identity()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.neck = nn.Conv2d(4, 4, 1)
        self.bbox_head = nn.Conv2d(4, 6, 1)
        self.pose_head = nn.Sequential(nn.Conv2d(4, 9, 1), nn.BatchNorm2d(9))


class Logger:
    def __init__(self):
        self.lines = []

    def info(self, msg):
        self.lines.append(msg)


def runner(epoch=0, it=0):
    return SimpleNamespace(model=Net(), epoch=epoch, iter=it, logger=Logger())


def trainable(model):
    return {n for n, m in model.named_children()
            if n != 'data_preprocessor' and all(p.requires_grad for p in m.parameters())}


def test_phases_by_epoch():
    hook = TrainingPhaseHook(PHASES)
    r = runner()
    expected = {0: {'neck', 'bbox_head'}, 1: {'neck', 'bbox_head'},
                2: {'backbone', 'neck', 'bbox_head'}, 4: {'backbone', 'neck', 'bbox_head'},
                5: {'backbone', 'neck', 'bbox_head', 'pose_head'}}
    for epoch, names in expected.items():
        r.epoch = epoch
        r.model.train()  # the train loop does this after before_train_epoch
        hook.before_train_epoch(r)
        hook.before_train_iter(r, 0)
        assert trainable(r.model) == names, epoch
        frozen = {n for n, _ in r.model.named_children()} - names - {'data_preprocessor'}
        for n in frozen:
            assert not any(p.requires_grad for p in getattr(r.model, n).parameters())
    # One log line per phase change, naming trainable and frozen parts with their sizes.
    assert len(r.logger.lines) == 3
    assert r.logger.lines[0].startswith('training phase 1/3 from epoch 0: trainable: neck (20)')
    assert 'frozen: backbone (120), pose_head (63)' in r.logger.lines[0]
    assert 'frozen: none' in r.logger.lines[2]


def test_frozen_norms_stay_in_eval_mode_and_resume_in_the_middle():
    hook = TrainingPhaseHook(PHASES)
    r = runner(epoch=3)  # e.g. resumed at epoch 3: phase 2 straight away
    r.model.train()
    hook.before_train_iter(r, 0)
    assert trainable(r.model) == {'backbone', 'neck', 'bbox_head'}
    assert not r.model.pose_head[1].training and r.model.backbone[1].training
    assert r.logger.lines[0].startswith('training phase 2/3 from epoch 3')
    # The loop calls model.train() before every iteration; in the same phase the hook
    # puts the frozen norms back in eval mode (and logs nothing new).
    r.model.train()
    hook.before_train_iter(r, 1)
    assert not r.model.pose_head[1].training and r.model.backbone[1].training
    assert trainable(r.model) == {'backbone', 'neck', 'bbox_head'}
    assert len(r.logger.lines) == 1
    # Without freeze_norm, frozen norms keep normalising with batch statistics.
    loose = TrainingPhaseHook(PHASES, freeze_norm=False)
    r2 = runner(epoch=0)
    r2.model.train()
    loose.before_train_iter(r2, 0)
    assert r2.model.backbone[1].training


def test_frozen_parameters_are_not_updated():
    hook = TrainingPhaseHook(PHASES, by_epoch=False)
    r = runner(it=0)
    hook.before_train_iter(r, 0)
    opt = torch.optim.SGD(r.model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    before = {k: v.clone() for k, v in r.model.state_dict().items()}
    x = torch.randn(2, 3, 8, 8)
    f = r.model.backbone(x)
    loss = r.model.bbox_head(r.model.neck(f)).sum() + r.model.pose_head(f).sum()
    loss.backward()
    opt.step()
    after = r.model.state_dict()
    assert torch.equal(before['backbone.0.weight'], after['backbone.0.weight'])
    assert torch.equal(before['pose_head.0.weight'], after['pose_head.0.weight'])
    assert not torch.equal(before['neck.weight'], after['neck.weight'])


def test_bad_phases():
    with pytest.raises(ValueError, match='start at 0'):
        TrainingPhaseHook([dict(begin=1, trainable='all')])
    with pytest.raises(ValueError, match='increase'):
        TrainingPhaseHook([dict(begin=0, trainable='all'), dict(begin=0, trainable='all')])
    hook = TrainingPhaseHook([dict(begin=0, trainable=['head'])])
    with pytest.raises(KeyError, match="no module\\(s\\) \\['head'\\]"):
        hook.before_train_iter(runner(), 0)




def test_deeper_modules_by_path():
    # Only the pose head's convolution trains: its batch norm stays frozen and in eval.
    hook = TrainingPhaseHook([dict(begin=0, trainable=['pose_head.0'])])
    r = runner()
    r.model.train()
    hook.before_train_iter(r, 0)
    grads = {n for n, p in r.model.named_parameters() if p.requires_grad}
    assert grads == {'pose_head.0.weight', 'pose_head.0.bias'}
    assert not r.model.pose_head[1].training and not r.model.backbone[1].training
    assert r.logger.lines[0] == ('training phase 1/1 from epoch 0: trainable: pose_head.0 (45); '
                                 'frozen: backbone (120), neck (20), bbox_head (30), '
                                 'pose_head.1 (18)')
    with pytest.raises(KeyError, match=r"no module\(s\) \['pose_head.7'\]"):
        TrainingPhaseHook([dict(begin=0, trainable=['pose_head.7'])]).before_train_iter(
            runner(), 0)


def test_phase_batch_sizes_rebuild_the_dataloader_per_process():
    from torch.utils.data import DataLoader
    phases = [dict(begin=0, trainable='all', batch_size=8),
              dict(begin=2, trainable='all', batch_size=4)]
    hook = TrainingPhaseHook(phases)
    r = runner()
    r.world_size = 2
    r.train_loop = SimpleNamespace(dataloader=DataLoader(list(range(20)), batch_size=5))
    hook.before_train_epoch(r)  # epoch 0: 8 images a step over 2 processes
    assert r.train_loop.dataloader.batch_size == 4
    assert len(list(r.train_loop.dataloader)) == 5
    r.epoch = 3  # also what a run resumed in phase 2 sees first
    hook.before_train_epoch(r)
    assert r.train_loop.dataloader.batch_size == 2
    assert list(r.train_loop.dataloader.dataset) == list(range(20))
    assert any('4 images per step (2 per process x 2)' in line for line in r.logger.lines)
    r.world_size = 3
    with pytest.raises(ValueError, match='batch of 4 does not divide among 3 processes'):
        TrainingPhaseHook(phases).before_train_epoch(r)
    with pytest.raises(ValueError, match='needs by_epoch=True'):
        TrainingPhaseHook(phases, by_epoch=False)
