"""Display names of the networks, importable without Keras (for labels and menus)."""
MODEL_LABELS = {"dnn": "DNN (dense)", "cnn": "CNN (convolutional)", "lenet": "LeNet-5"}
