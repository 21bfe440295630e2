"""Display names of the networks, importable without Keras (for labels, menus and command-line choices)."""
MODEL_LABELS = {"dnn": "DNN (dense)", "cnn": "CNN (conv)", "lenet": "LeNet-5"}
SHORT_NAMES = {"dnn": "DNN", "cnn": "CNN", "lenet": "LeNet-5"}
# The hidden units' functions a learner can pick for dnn and cnn (relu first: the tutorial's, and the default).
HIDDEN_ACTIVATIONS = ("relu", "sigmoid", "tanh")


def short_name(model: str) -> str:
    """How charts, tables and metrics name a network: DNN, CNN, LeNet-5."""
    return SHORT_NAMES.get(model, model.upper())

# The Architectures page and `python -m webapp summary`: the lab's MNIST networks, then classic ImageNet ones.
ARCHITECTURE_LABELS = {
    "dnn": "DNN (dense, MNIST)",
    "cnn": "CNN (two conv blocks, MNIST)",
    "lenet": "LeNet-5 (1998, MNIST)",
    "lenet32": "LeNet-style, 32x32 colour (seed 004)",
    "alexnet": "AlexNet (2012)",
    "vgg16": "VGG16 (2014)",
    "resnet50": "ResNet50 (2015)",
    "inceptionv3": "Inception v3 (2015)",
    "mobilenetv2": "MobileNetV2 (2018)",
}

# Parameter counts as published (the papers, Keras's applications table, the seed notes' VGG16 summary).
PUBLISHED_PARAMS = {
    "dnn": 101_770,
    "cnn": 225_034,
    "lenet": 61_706,
    "lenet32": 84_107,  # seed 004's network, counted from its layers: 168 + 880 + 69,240 + 10,164 + 3,655
    "alexnet": 62_378_344,
    "vgg16": 138_357_544,
    "resnet50": 25_636_712,
    "inceptionv3": 23_851_784,
    "mobilenetv2": 3_538_984,
}
