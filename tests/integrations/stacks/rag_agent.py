"""Retrieval-augmented agents, as their users build them: the embeddings of a small corpus and of
the question (``FakeOpenAI``'s ``/v1/embeddings``), a nearest-neighbour search, and a model
answering with the documents found.

- ``chain_answer``: LangChain's LCEL RAG chain, ``InMemoryVectorStore.from_texts`` over
  ``OpenAIEmbeddings`` (``check_embedding_ctx_length=False``: no tiktoken), its ``as_retriever``
  piped into ``format_docs``, a prompt, ``ChatOpenAI`` and ``StrOutputParser``;
- ``agent_answer``: a LangChain 1.x ``create_agent`` (a LangGraph graph) whose tool searches the
  store (``add_documents`` with ids, ``similarity_search``);
- ``Librarian``: pydantic-ai's ``Embedder`` on ``OpenAIEmbeddingModel`` building a numpy index
  kept in its state (the matrix, the cosine scores of the last question), beside an ``Agent``
  whose tool searches it;
- ``sdk_search``: the openai SDK's ``embeddings.create`` (base64 by default, decoded with numpy).
"""

from __future__ import annotations

import numpy as np
import openai
import services
from langchain.agents import create_agent
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_core.tools import tool
from langchain_core.vectorstores import InMemoryVectorStore
from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from pydantic_ai import Agent
from pydantic_ai.embeddings import Embedder
from pydantic_ai.embeddings.openai import OpenAIEmbeddingModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

DOCS = [
    "Basil goes in pesto with pine nuts.",
    "Arborio rice makes a creamy risotto.",
    "Sourdough needs a lively starter.",
]


def make_embeddings() -> OpenAIEmbeddings:
    return OpenAIEmbeddings(
        model="text-embedding-3-small",
        max_retries=0,
        check_embedding_ctx_length=False,
        http_client=services.OPENAI.client(),
        http_async_client=services.OPENAI.async_client(),
    )


def make_llm() -> ChatOpenAI:
    return ChatOpenAI(
        model="gpt-4o-mini",
        temperature=0,
        max_retries=0,
        http_client=services.OPENAI.client(),
        http_async_client=services.OPENAI.async_client(),
    )


def format_docs(docs: list[Document]) -> str:
    return "\n\n".join(doc.page_content for doc in docs)


PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "Answer from this context only:\n{context}"),
        ("human", "{question}"),
    ]
)


def chain_answer(question: str) -> str:
    store = InMemoryVectorStore.from_texts(DOCS, make_embeddings())
    retriever = store.as_retriever(search_kwargs={"k": 1})
    chain = (
        {"context": retriever | format_docs, "question": RunnablePassthrough()}
        | PROMPT
        | make_llm()
        | StrOutputParser()
    )
    return chain.invoke(question)


def agent_answer(question: str) -> dict[str, object]:
    store = InMemoryVectorStore(make_embeddings())
    store.add_documents(
        [Document(text, metadata={"n": i}) for i, text in enumerate(DOCS)],
        ids=[f"doc-{i}" for i in range(len(DOCS))],
    )

    @tool
    def search_docs(query: str) -> str:
        """Search the cookbook."""
        return format_docs(store.similarity_search(query, k=1))

    agent = create_agent(make_llm(), tools=[search_docs])
    state = agent.invoke({"messages": [("user", question)]})
    return {"answer": state["messages"][-1].content, "turns": len(state["messages"])}


class Librarian:
    """pydantic-ai: an index of the corpus's embeddings (a numpy matrix) searched by a tool."""

    def __init__(self, docs: list[str] = DOCS) -> None:
        client = openai.AsyncOpenAI(http_client=services.OPENAI.async_client(), max_retries=0)
        provider = OpenAIProvider(openai_client=client)
        self.embedder = Embedder(OpenAIEmbeddingModel("text-embedding-3-small", provider=provider))
        self.agent = Agent(
            OpenAIChatModel("gpt-4o-mini", provider=provider),
            instructions="Answer from the cookbook.",
        )
        self.agent.tool_plain(self.search)
        self.docs = list(docs)
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.scores = np.zeros(0)

    def get_state(self) -> dict[str, object]:
        return {"docs": self.docs, "matrix": self.matrix, "scores": self.scores}

    def load_state(self, state: dict[str, object]) -> None:
        self.docs = list(state["docs"])
        self.matrix, self.scores = state["matrix"], state["scores"]

    async def search(self, query: str) -> str:
        """Search the cookbook."""
        asked = np.asarray((await self.embedder.embed_query(query)).embeddings[0])
        self.scores = (
            self.matrix @ asked / (np.linalg.norm(self.matrix, axis=1) * np.linalg.norm(asked))
        )
        return self.docs[int(np.argmax(self.scores))]

    async def ask(self, question: str) -> str:
        found = await self.embedder.embed_documents(self.docs)
        self.matrix = np.asarray(found.embeddings, dtype=np.float32)
        return (await self.agent.run(question)).output


def sdk_search(client: openai.OpenAI, question: str) -> dict[str, object]:
    answer = client.embeddings.create(model="text-embedding-3-small", input=[*DOCS, question])
    vectors = [item.embedding for item in answer.data]
    scores = [float(np.dot(v, vectors[-1])) for v in vectors[:-1]]
    return {"best": DOCS[scores.index(max(scores))], "scores": scores, "first": vectors[0]}
