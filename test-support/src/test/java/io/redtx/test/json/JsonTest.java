package io.redtx.test.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

    @Test
    void readsNestedObjectsAndArraysInDocumentOrder() {
        Object value = Json.parse("{\"z\":{\"b\":[1,[],{}],\"a\":null},\"y\":[true,false,\"s\"],\"x\":{}}");

        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("b", List.of(1.0, List.of(), Map.of()));
        inner.put("a", null);
        assertThat(value).isInstanceOf(LinkedHashMap.class);
        assertThat(value).isEqualTo(Map.of("z", inner, "y", List.of(true, false, "s"), "x", Map.of()));
        assertThat(new ArrayList<Object>(((Map<?, ?>) value).keySet())).containsExactly("z", "y", "x");
        assertThat(((Map<?, ?>) value).get("z")).isInstanceOf(LinkedHashMap.class);
        assertThat(((Map<?, ?>) ((Map<?, ?>) value).get("z")).get("b")).isInstanceOf(ArrayList.class);
    }

    @Test
    void readsEveryNumberAsADouble() {
        assertThat(Json.parse("[0,-0,7,-12,2.5,1.0E-5,1e3,6.02E+23,9223372036854775807]"))
                .isEqualTo(Arrays.asList(0.0, -0.0, 7.0, -12.0, 2.5, 1.0E-5, 1000.0, 6.02E23, 9.223372036854775807E18));
    }

    @Test
    void readsStringEscapes() {
        assertThat(Json.parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u0001\\u00e9\\u20AC é\""))
                .isEqualTo("q\" b\\ s/ \b\f\n\r\t \u0001\u00e9\u20ac é");
    }

    @Test
    void skipsJsonWhitespaceAroundTokens() {
        assertThat(Json.parse(" \t\r\n{ \"a\" : [ 1 , null ] }\n")).isEqualTo(Map.of("a", Arrays.asList(1.0, null)));
        assertThat(Json.parse("null")).isNull();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "   ",
                "{",
                "{\"a\":1",
                "{\"a\":1,}",
                "{\"a\" 1}",
                "{a:1}",
                "{1:1}",
                "{\"a\":1,\"a\":2}",
                "[1,2",
                "[1,]",
                "[1 2]",
                "[,1]",
                "\"open",
                "\"bad \\x escape\"",
                "\"\\u12\"",
                "\"\\u12g4\"",
                "\"tab\there\"",
                "+1",
                "01",
                ".5",
                "1.",
                "1e",
                "--1",
                "NaN",
                "Infinity",
                "tru",
                "nul",
                "{} {}",
                "1 2",
                "[]]",
                "'single'"
            })
    void rejectsMalformedInputWithIllegalArgumentException(String text) {
        assertThatThrownBy(() -> Json.parse(text))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at offset");
    }

    @Test
    void errorMessageNamesTheOffsetOfTheProblem() {
        assertThatThrownBy(() -> Json.parse("{\"a\":1,\"a\":2}"))
                .hasMessageStartingWith("duplicate key \"a\" at offset 7");
        assertThatThrownBy(() -> Json.parse("[1] x")).hasMessageStartingWith("trailing content at offset 4");
    }

    @Test
    void rejectsNullText() {
        assertThatThrownBy(() -> Json.parse(null)).isInstanceOf(NullPointerException.class);
    }
}
