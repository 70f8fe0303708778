"""The simulation answers like something that read the prompt, through both frameworks' classes.

These are the answers a newcomer sees offline before writing a single ``Reply``: a question
about the Nile retrieves the Nile passage, a population question calls the population tool
with the city it names, structured output says what it cannot know instead of copying the
question into a field.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_anyfast import AnyfastEmbeddings, ChatAnyfast
from llama_index_anyfast import Anyfast, AnyfastEmbedding

DOCUMENTS = [
    "Mount Everest is the highest mountain on Earth, on the border of Nepal and China.",
    "The Amazon rainforest covers much of Brazil and holds a tenth of all known species.",
    "The Sahara is the largest hot desert in the world.",
    "Tokyo is the capital of Japan and its largest city.",
    "The Nile is a river in Africa that flows north into the Mediterranean Sea.",
]


Build = Callable[..., Any]  # the build_model fixture: a model on the local server, closed after


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


# --- embeddings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    ["Tell me about the Nile river", "Which river flows into the Mediterranean?"],
)
def test_a_question_ranks_the_document_sharing_its_words_first(
    build_model: Build, question: str
) -> None:
    embeddings = build_model(AnyfastEmbeddings)
    query = embeddings.embed_query(question)
    scores = [_cosine(query, vector) for vector in embeddings.embed_documents(DOCUMENTS)]
    assert max(scores) == scores[4] > max(scores[:4])


def test_no_two_texts_point_apart(build_model: Build) -> None:
    embeddings = build_model(AnyfastEmbeddings)
    vectors = embeddings.embed_documents([*DOCUMENTS, "Hello", "?", "The and of"])
    assert min(_cosine(a, b) for a in vectors for b in vectors) >= 0


def test_a_llama_index_query_engine_answers_from_the_passage_it_was_asked_about(
    build_model: Build,
) -> None:
    from llama_index.core import Document, VectorStoreIndex

    embed_model = build_model(AnyfastEmbedding)
    index = VectorStoreIndex.from_documents(
        [Document(text=text) for text in DOCUMENTS], embed_model=embed_model
    )
    engine = index.as_query_engine(llm=build_model(Anyfast), similarity_top_k=2)
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
    build_model: Build, question: str, called: str, city: str
) -> None:
    model = build_model(ChatAnyfast).bind_tools([get_weather, get_population])
    (call,) = model.invoke(question).tool_calls
    assert (call["name"], call["args"]) == (called, {"city": city})


def test_llama_index_calls_the_tool_the_question_is_about(
    build_model: Build,
) -> None:
    from llama_index.core.tools import FunctionTool

    def weather(city: str) -> str:
        """The current weather in a city."""
        return f"Sunny in {city}"

    def population(city: str) -> int:
        """The population of a city: how many people live there."""
        return 3_700_000

    tools = [FunctionTool.from_defaults(fn=weather), FunctionTool.from_defaults(fn=population)]
    llm = build_model(Anyfast)
    response = llm.chat_with_tools(tools, user_msg="What is the population of Berlin?")
    (selection,) = llm.get_tool_calls_from_response(response, error_on_no_tool_call=True)
    assert (selection.tool_name, selection.tool_kwargs) == ("population", {"city": "Berlin"})


def test_numbers_and_codes_fill_typed_arguments(build_model: Build) -> None:
    @tool
    def to_euros(amount: float, currency: str) -> str:
        """Converts an amount of a currency (ISO code, e.g. USD) to euros."""
        return ""

    message = build_model(ChatAnyfast).bind_tools([to_euros]).invoke("How many euros is 250 GBP?")
    (call,) = message.tool_calls
    assert call["args"] == {"amount": 250, "currency": "GBP"}


# --- structured output -------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_readme_structured_output_says_what_it_cannot_know(build_model: Build, method: Any) -> None:
    model = build_model(ChatAnyfast).with_structured_output(City, method=method)
    city = model.invoke("Which city has the Eiffel Tower?")
    assert isinstance(city, City)
    # The question names the tower, not the city or its country: neither is copied in.
    assert (city.name, city.country) == ("<name>", "<country>")


def test_a_structured_output_tool_is_read_as_a_form_also_when_not_forced(
    build_model: Build,
) -> None:
    # A tool named like a class is a schema, whether tool_choice forces it or not.
    model = build_model(ChatAnyfast).bind_tools([City], tool_choice="auto")
    (call,) = model.invoke("Which city has the Eiffel Tower?").tool_calls
    city = City(**call["args"])
    assert isinstance(city, City)
    # The question names the tower, not the city or its country: neither is copied in.
    assert (city.name, city.country) == ("<name>", "<country>")


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_structured_output_takes_what_the_prompt_states(build_model: Build, method: Any) -> None:
    model = build_model(ChatAnyfast).with_structured_output(City, method=method)
    city = model.invoke("Extract the city and country: Lima is the capital of Peru.")
    assert city == City(name="Lima", country="Peru")


def test_llama_index_structured_predict_takes_what_the_prompt_states(
    build_model: Build,
) -> None:
    from llama_index.core.prompts import PromptTemplate

    prompt = PromptTemplate("Extract the city and its country: {text}")
    city = build_model(Anyfast).structured_predict(
        City, prompt, text="Paris is the capital of France."
    )
    assert city == City(name="Paris", country="France")


def test_json_mode_fills_the_keys_the_prompt_asks_for(build_model: Build) -> None:
    model = build_model(ChatAnyfast).with_structured_output(City, method="json_mode")
    asked = model.invoke("Which city has the Eiffel Tower? Answer in JSON with keys name, country.")
    assert asked == City(name="<name>", country="<country>")
    stated = model.invoke("Give the country as JSON, keys name and country: Lima is in Peru.")
    assert stated.country == "Peru"


def test_json_mode_without_keys_answers_in_one_field(build_model: Build) -> None:
    model = build_model(ChatAnyfast).with_structured_output(method="json_mode")
    assert model.invoke("Why is the sky blue? Reply in JSON.") == {"answer": "Why is the sky blue?"}
