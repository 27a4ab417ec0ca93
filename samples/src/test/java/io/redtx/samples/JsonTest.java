package io.redtx.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void writesCompactJsonInMapAndListOrder() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("z", List.of(1, 2L, true));
        inner.put("a", null);
        Map<Object, Object> outer = new LinkedHashMap<>();
        outer.put("b", inner);
        outer.put(7, List.of());
        outer.put("e", Map.of());

        assertThat(Json.write(outer)).isEqualTo("{\"b\":{\"z\":[1,2,true],\"a\":null},\"7\":[],\"e\":{}}");
    }

    @Test
    void writesDoublesByToStringAndNonFiniteOnesAsNull() {
        assertThat(Json.write(Arrays.asList(
                        2.0,
                        -0.0,
                        0.125,
                        1.0E-5,
                        1.5E10,
                        Double.NaN,
                        Double.POSITIVE_INFINITY,
                        Double.NEGATIVE_INFINITY)))
                .isEqualTo("[2.0,-0.0,0.125,1.0E-5,1.5E10,null,null,null]");
        assertThat(Json.write(Long.MIN_VALUE)).isEqualTo("-9223372036854775808");
    }

    @Test
    void escapesQuotesBackslashesAndControlCharacters() {
        assertThat(Json.write("q\" b\\ \n\r\t \u0001\u001f é/"))
                .isEqualTo("\"q\\\" b\\\\ \\n\\r\\t \\u0001\\u001f é/\"");
    }

    @Test
    void outputReadsBackAsTheSameValues() {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("name", "tab\there \"quoted\" \u0002");
        report.put("rates", Arrays.asList(0, 3L, 2.5, 1.0E-7, Double.NaN));
        report.put("nested", Map.of("ok", false, "list", List.of(List.of("x"))));

        assertThat(io.redtx.test.json.Json.parse(Json.write(report)))
                .isEqualTo(Map.of(
                        "name",
                        "tab\there \"quoted\" \u0002",
                        "rates",
                        Arrays.asList(0.0, 3.0, 2.5, 1.0E-7, null),
                        "nested",
                        Map.of("ok", false, "list", List.of(List.of("x")))));
    }

    @Test
    void rejectsOtherTypesNamingThem() {
        assertThatThrownBy(() -> Json.write(Map.of("a", 1.5f)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("java.lang.Float");
        assertThatThrownBy(() -> Json.write(List.of(BigDecimal.ONE)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("java.math.BigDecimal");
        assertThatThrownBy(() -> Json.write(Set.of("s"))).isInstanceOf(IllegalArgumentException.class);
    }
}
