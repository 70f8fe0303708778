"""The simulation answers like something that read the prompt, through both frameworks' classes.

These are the answers a newcomer sees offline before writing a single ``Reply``: a question
about the Nile retrieves the Nile passage, a population question calls the population tool
with the city it names, structured output says what it cannot know instead of copying the
question into a field.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from langchain_core.tools import tool
from pydantic import BaseModel

from anyfast_client.testing import AnyfastTestServer
from langchain_anyfast import AnyfastEmbeddings, ChatAnyfast
from llama_index_anyfast import Anyfast, AnyfastEmbedding

DOCUMENTS = [
    "Mount Everest is the highest mountain on Earth, on the border of Nepal and China.",
    "The Amazon rainforest covers much of Brazil and holds a tenth of all known species.",
    "The Sahara is the largest hot desert in the world.",
    "Tokyo is the capital of Japan and its largest city.",
    "The Nile is a river in Africa that flows north into the Mediterranean Sea.",
]


class City(BaseModel):
    name: str
    country: str


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"Sunny in {city}"


@tool
def get_population(city: str) -> int:
    """The population of a city: how many people live there."""
    return 3_700_000


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.hypot(*a) / math.hypot(*b)


def _chat(server: AnyfastTestServer) -> ChatAnyfast:
    return ChatAnyfast(base_url=server.base_url, api_key=server.api_key)


def _llm(server: AnyfastTestServer) -> Anyfast:
    return Anyfast(api_base=server.base_url, api_key=server.api_key)


# --- embeddings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    ["Tell me about the Nile river", "Which river flows into the Mediterranean?"],
)
def test_a_question_ranks_the_document_sharing_its_words_first(
    anyfast_server: AnyfastTestServer, question: str
) -> None:
    embeddings = AnyfastEmbeddings(base_url=anyfast_server.base_url, api_key="test-key")
    query = embeddings.embed_query(question)
    scores = [_cosine(query, vector) for vector in embeddings.embed_documents(DOCUMENTS)]
    assert max(scores) == scores[4] > max(scores[:4])


def test_no_two_texts_point_apart(anyfast_server: AnyfastTestServer) -> None:
    embeddings = AnyfastEmbeddings(base_url=anyfast_server.base_url, api_key="test-key")
    vectors = embeddings.embed_documents([*DOCUMENTS, "Hello", "?", "The and of"])
    assert min(_cosine(a, b) for a in vectors for b in vectors) >= 0


def test_a_llama_index_query_engine_answers_from_the_passage_it_was_asked_about(
    anyfast_server: AnyfastTestServer,
) -> None:
    from llama_index.core import Document, VectorStoreIndex

    embed_model = AnyfastEmbedding(api_base=anyfast_server.base_url, api_key="test-key")
    index = VectorStoreIndex.from_documents(
        [Document(text=text) for text in DOCUMENTS], embed_model=embed_model
    )
    engine = index.as_query_engine(llm=_llm(anyfast_server), similarity_top_k=2)
    response = engine.query("Tell me about the Nile river")
    assert response.source_nodes[0].node.get_content() == DOCUMENTS[4]
    assert "Nile" in str(response) and "Everest" not in str(response)


# --- tools -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "called", "city"),
    [
        ("What is the population of Berlin?", "get_population", "Berlin"),
        ("How many people live in Tokyo?", "get_population", "Tokyo"),
        ("What's the weather like in Paris today?", "get_weather", "Paris"),
        ("Is it raining in New York? Check the weather.", "get_weather", "New York"),
    ],
)
def test_langchain_calls_the_tool_the_question_is_about(
    anyfast_server: AnyfastTestServer, question: str, called: str, city: str
) -> None:
    model = _chat(anyfast_server).bind_tools([get_weather, get_population])
    (call,) = model.invoke(question).tool_calls
    assert (call["name"], call["args"]) == (called, {"city": city})


def test_llama_index_calls_the_tool_the_question_is_about(
    anyfast_server: AnyfastTestServer,
) -> None:
    from llama_index.core.tools import FunctionTool

    def weather(city: str) -> str:
        """The current weather in a city."""
        return f"Sunny in {city}"

    def population(city: str) -> int:
        """The population of a city: how many people live there."""
        return 3_700_000

    tools = [FunctionTool.from_defaults(fn=weather), FunctionTool.from_defaults(fn=population)]
    llm = _llm(anyfast_server)
    response = llm.chat_with_tools(tools, user_msg="What is the population of Berlin?")
    (selection,) = llm.get_tool_calls_from_response(response, error_on_no_tool_call=True)
    assert (selection.tool_name, selection.tool_kwargs) == ("population", {"city": "Berlin"})


def test_numbers_and_codes_fill_typed_arguments(anyfast_server: AnyfastTestServer) -> None:
    @tool
    def to_euros(amount: float, currency: str) -> str:
        """Converts an amount of a currency (ISO code, e.g. USD) to euros."""
        return ""

    message = _chat(anyfast_server).bind_tools([to_euros]).invoke("How many euros is 250 GBP?")
    (call,) = message.tool_calls
    assert call["args"] == {"amount": 250, "currency": "GBP"}


# --- structured output -------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_readme_structured_output_says_what_it_cannot_know(
    anyfast_server: AnyfastTestServer, method: Any
) -> None:
    model = _chat(anyfast_server).with_structured_output(City, method=method)
    city = model.invoke("Which city has the Eiffel Tower?")
    assert isinstance(city, City)
    # The question names the tower, not the city or its country: neither is copied in.
    assert (city.name, city.country) == ("<name>", "<country>")


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_structured_output_takes_what_the_prompt_states(
    anyfast_server: AnyfastTestServer, method: Any
) -> None:
    model = _chat(anyfast_server).with_structured_output(City, method=method)
    city = model.invoke("Extract the city and country: Lima is the capital of Peru.")
    assert city == City(name="Lima", country="Peru")


def test_llama_index_structured_predict_takes_what_the_prompt_states(
    anyfast_server: AnyfastTestServer,
) -> None:
    from llama_index.core.prompts import PromptTemplate

    prompt = PromptTemplate("Extract the city and its country: {text}")
    city = _llm(anyfast_server).structured_predict(
        City, prompt, text="Paris is the capital of France."
    )
    assert city == City(name="Paris", country="France")


def test_json_mode_fills_the_keys_the_prompt_asks_for(anyfast_server: AnyfastTestServer) -> None:
    model = _chat(anyfast_server).with_structured_output(City, method="json_mode")
    asked = model.invoke("Which city has the Eiffel Tower? Answer in JSON with keys name, country.")
    assert asked == City(name="<name>", country="<country>")
    stated = model.invoke("Give the country as JSON, keys name and country: Lima is in Peru.")
    assert stated.country == "Peru"


def test_json_mode_without_keys_answers_in_one_field(anyfast_server: AnyfastTestServer) -> None:
    model = _chat(anyfast_server).with_structured_output(method="json_mode")
    assert model.invoke("Why is the sky blue? Reply in JSON.") == {"answer": "Why is the sky blue?"}
