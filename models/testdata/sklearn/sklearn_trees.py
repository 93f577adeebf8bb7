"""Writes sklearn tree models as skl2onnx 1.x lays them out (ai.onnx.ml 3, zipmap=False), for the
native evaluator's parity test. skl2onnx is not packaged for Debian, so the graphs are built with
onnx.helper from the fitted estimators, attribute by attribute as skl2onnx writes them:

  gbc.onnx  GradientBoostingClassifier: TreeEnsembleClassifier, every weight on class id 0,
            base_values [init log-odds], post_transform LOGISTIC -> label, probabilities [N, 2]
  rfc.onnx  RandomForestClassifier: TreeEnsembleClassifier, weights for both classes
            (leaf class shares / n_estimators), post_transform NONE
  gbr.onnx  GradientBoostingRegressor: TreeEnsembleRegressor SUM, base_values [init]
  rfr.onnx  RandomForestRegressor: TreeEnsembleRegressor AVERAGE -> variable [N, 1]

Run with Debian's python3-sklearn and python3-onnx: /usr/bin/python3 sklearn_trees.py
"""
import numpy as np
from onnx import TensorProto, helper, save
from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)

F = 6
rng = np.random.RandomState(7)
X = rng.normal(size=(2000, F)).astype(np.float32)
X[:, 4] = np.round(X[:, 4] * 2) / 2  # a few repeated values, so thresholds sit between them
y = ((1.5 * X[:, 0] - X[:, 1] * X[:, 2] + (X[:, 3] > 1) * 2) > 0.8).astype(np.int64)
yr = 1.5 * X[:, 0] - X[:, 1] * X[:, 2] + np.sin(X[:, 5])


def tree_nodes(attrs, tree, tid):
    t = tree.tree_
    for n in range(t.node_count):
        attrs["nodes_treeids"].append(tid)
        attrs["nodes_nodeids"].append(n)
        attrs["nodes_hitrates"].append(1.0)
        attrs["nodes_missing_value_tracks_true"].append(0)
        if t.children_left[n] == -1:
            attrs["nodes_modes"].append("LEAF")
            attrs["nodes_featureids"].append(0)
            attrs["nodes_values"].append(0.0)
            attrs["nodes_truenodeids"].append(0)
            attrs["nodes_falsenodeids"].append(0)
        else:
            attrs["nodes_modes"].append("BRANCH_LEQ")
            attrs["nodes_featureids"].append(int(t.feature[n]))
            attrs["nodes_values"].append(float(t.threshold[n]))
            attrs["nodes_truenodeids"].append(int(t.children_left[n]))
            attrs["nodes_falsenodeids"].append(int(t.children_right[n]))


def new_attrs():
    keys = ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
            "nodes_truenodeids", "nodes_falsenodeids", "nodes_hitrates", "nodes_missing_value_tracks_true"]
    return {k: [] for k in keys}


def leaves(tree):
    t = tree.tree_
    return [n for n in range(t.node_count) if t.children_left[n] == -1]


def write(path, node, outputs):
    graph = helper.make_graph([node], "sklearn", [helper.make_tensor_value_info("float_input", TensorProto.FLOAT, [None, F])], outputs)
    model = helper.make_model(graph, producer_name="skl2onnx", opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)])
    model.ir_version = 8
    save(model, path)


def classifier(path, est, attrs, post, base=None):
    kw = dict(classlabels_int64s=[0, 1], post_transform=post, **attrs)
    if base is not None:
        kw["base_values"] = base
    node = helper.make_node("TreeEnsembleClassifier", ["float_input"], ["label", "probabilities"], domain="ai.onnx.ml", **kw)
    write(path, node, [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
                       helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])])


def regressor(path, attrs, agg, base=None):
    kw = dict(n_targets=1, aggregate_function=agg, post_transform="NONE", **attrs)
    if base is not None:
        kw["base_values"] = base
    node = helper.make_node("TreeEnsembleRegressor", ["float_input"], ["variable"], domain="ai.onnx.ml", **kw)
    write(path, node, [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])])


gbc = GradientBoostingClassifier(n_estimators=40, max_depth=3, random_state=0).fit(X, y)
a = new_attrs()
a.update(class_treeids=[], class_nodeids=[], class_ids=[], class_weights=[])
for i, est in enumerate(gbc.estimators_[:, 0]):
    tree_nodes(a, est, i)
    for n in leaves(est):
        a["class_treeids"].append(i); a["class_nodeids"].append(n); a["class_ids"].append(0)
        a["class_weights"].append(float(est.tree_.value[n][0][0] * gbc.learning_rate))
p = gbc.init_.class_prior_[1]
classifier("gbc.onnx", gbc, a, "LOGISTIC", [float(np.log(p / (1 - p)))])

rfc = RandomForestClassifier(n_estimators=15, max_depth=6, random_state=0).fit(X, y)
a = new_attrs()
a.update(class_treeids=[], class_nodeids=[], class_ids=[], class_weights=[])
for i, est in enumerate(rfc.estimators_):
    tree_nodes(a, est, i)
    for n in leaves(est):
        v = est.tree_.value[n][0]
        for c in range(2):
            a["class_treeids"].append(i); a["class_nodeids"].append(n); a["class_ids"].append(c)
            a["class_weights"].append(float(v[c] / v.sum() / len(rfc.estimators_)))
classifier("rfc.onnx", rfc, a, "NONE")

gbr = GradientBoostingRegressor(n_estimators=40, max_depth=4, random_state=0).fit(X, yr)
a = new_attrs()
a.update(target_treeids=[], target_nodeids=[], target_ids=[], target_weights=[])
for i, est in enumerate(gbr.estimators_[:, 0]):
    tree_nodes(a, est, i)
    for n in leaves(est):
        a["target_treeids"].append(i); a["target_nodeids"].append(n); a["target_ids"].append(0)
        a["target_weights"].append(float(est.tree_.value[n][0][0] * gbr.learning_rate))
regressor("gbr.onnx", a, "SUM", [float(gbr.init_.constant_[0][0])])

rfr = RandomForestRegressor(n_estimators=10, max_depth=7, random_state=0).fit(X, yr)
a = new_attrs()
a.update(target_treeids=[], target_nodeids=[], target_ids=[], target_weights=[])
for i, est in enumerate(rfr.estimators_):
    tree_nodes(a, est, i)
    for n in leaves(est):
        a["target_treeids"].append(i); a["target_nodeids"].append(n); a["target_ids"].append(0)
        a["target_weights"].append(float(est.tree_.value[n][0][0]))
regressor("rfr.onnx", a, "AVERAGE")
