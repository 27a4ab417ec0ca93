package io.redtx.samples.checkout;

import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.json.JsonFactory;

/**
 * The flat JSON objects of the payment service's bodies, on Jackson's streaming API. Not databind: an {@code
 * ObjectMapper} builds and caches its (de)serializers on first use under a lock, and a Netty event loop meeting that
 * lock held by another one is a blocking call (BlockHound reports it, and the request fails).
 */
final class Json {

    private static final JsonFactory FACTORY = new JsonFactory();

    private Json() {}

    /**
     * @param fields String or Long values
     * @return the JSON object
     */
    static String write(Map<String, ?> fields) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            g.writeStartObject();
            for (Map.Entry<String, ?> e : fields.entrySet()) {
                if (e.getValue() instanceof Long n) {
                    g.writeNumberProperty(e.getKey(), n);
                } else {
                    g.writeStringProperty(e.getKey(), String.valueOf(e.getValue()));
                }
            }
            g.writeEndObject();
        }
        return w.toString();
    }

    /**
     * @param json one JSON object with scalar values
     * @return its fields, every value as its text
     * @throws IllegalArgumentException when {@code json} is not such an object
     */
    static Map<String, String> read(String json) {
        Map<String, String> fields = new LinkedHashMap<>();
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object");
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.PROPERTY_NAME; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (value == null || value.isStructStart()) {
                    throw new IllegalArgumentException("property " + name + " is not a scalar");
                }
                fields.put(name, p.getText());
            }
            return fields;
        } catch (JacksonException e) {
            throw new IllegalArgumentException("bad JSON: " + e.getOriginalMessage(), e);
        }
    }
}
