"""The tiny task of the Hugging Face trainer tests (hf_tiny_trainer.py, hf_search_trainer.py):
a BERT built from a config (nothing downloaded) learns whether token 7 is in a
sequence of 12 tokens."""
import torch
from transformers import BertConfig, BertForSequenceClassification


class Tokens(torch.utils.data.Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randint(8, 40, (n, 12), generator=g)
        self.y = (torch.rand(n, generator=g) < 0.5).long()
        where = torch.randint(0, 12, (n,), generator=g)
        self.x[self.y == 1, where[self.y == 1]] = 7

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return {"input_ids": self.x[i], "attention_mask": torch.ones(12, dtype=torch.long), "labels": self.y[i]}


def tiny_bert():
    torch.manual_seed(0)
    config = BertConfig(vocab_size=40, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=16, num_labels=2)
    return BertForSequenceClassification(config)


def accuracy(prediction):
    return {"accuracy": float((prediction.predictions.argmax(-1) == prediction.label_ids).mean())}
