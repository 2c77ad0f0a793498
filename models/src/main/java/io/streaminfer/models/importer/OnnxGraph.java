package io.streaminfer.models.importer;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.streaminfer.models.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an ONNX file says about itself: from its protobuf ({@code onnx.ModelProto}) the
 * default-domain opset, the producer, the graph's real inputs (initializers left out) and outputs
 * with element type and axis names, the operator that computes each output's values (looking
 * through reshapes and transposes), and whether weights live in external files; from an ONNX
 * Runtime session the shapes after its shape inference (an exporter may leave an output's axes
 * symbolic that ONNX Runtime resolves), so the card states what the runtime will check. Immutable.
 *
 * @param file the file read
 * @param irVersion {@code ir_version}
 * @param opset the opset of the default ({@code ""} / {@code ai.onnx}) domain, 0 when absent
 * @param producer {@code producer_name producer_version}, may be blank
 * @param inputs the graph inputs a caller feeds, in graph order
 * @param outputs the graph outputs, in graph order
 * @param producingOp for each output name, the op type of the node that computes its values (not
 *     counting Reshape, Flatten, Transpose, Squeeze, Unsqueeze and Identity)
 * @param externalData whether any initializer's data is stored outside the file
 */
public record OnnxGraph(
    Path file,
    long irVersion,
    long opset,
    String producer,
    List<Value> inputs,
    List<Value> outputs,
    Map<String, String> producingOp,
    boolean externalData) {

  /**
   * One graph input or output.
   *
   * @param name the tensor's name
   * @param elemType ONNX element type number ({@code TensorProto.DataType}), 0 for non-tensors
   * @param kind {@code tensor}, or {@code sequence}, {@code map}, {@code optional}, {@code
   *     sparse_tensor}
   * @param dims each axis: its size, or -1 when dynamic
   * @param dimNames each axis: its symbolic name ({@code dim_param}), or empty
   */
  public record Value(String name, int elemType, String kind, long[] dims, List<String> dimNames) {
    /** The element type as StreamInfer names it ({@code float32}, {@code int64}, ...). */
    public String dtype() {
      return dtypeName(elemType);
    }

    /** {@code name: dtype [d0, d1, ...]} with dynamic axes by name or {@code ?}. */
    public String describe() {
      StringBuilder b = new StringBuilder(name).append(": ").append(dtype()).append(" [");
      for (int i = 0; i < dims.length; i++) {
        b.append(i == 0 ? "" : ", ")
            .append(
                dims[i] >= 0
                    ? Long.toString(dims[i])
                    : dimNames.get(i).isEmpty() ? "?" : dimNames.get(i));
      }
      return b.append(']').toString();
    }
  }

  /** ONNX element type numbers to the names StreamInfer and NumPy use. */
  public static String dtypeName(int elemType) {
    return switch (elemType) {
      case 1 -> "float32";
      case 2 -> "uint8";
      case 3 -> "int8";
      case 4 -> "uint16";
      case 5 -> "int16";
      case 6 -> "int32";
      case 7 -> "int64";
      case 8 -> "string";
      case 9 -> "bool";
      case 10 -> "float16";
      case 11 -> "float64";
      case 12 -> "uint32";
      case 13 -> "uint64";
      case 14 -> "complex64";
      case 15 -> "complex128";
      case 16 -> "bfloat16";
      case 0 -> "(not a tensor)";
      default -> "element type " + elemType;
    };
  }

  /** The input called {@code name}, or null. */
  public Value input(String name) {
    return inputs.stream().filter(v -> v.name.equals(name)).findFirst().orElse(null);
  }

  /** The output called {@code name}, or null. */
  public Value output(String name) {
    return outputs.stream().filter(v -> v.name.equals(name)).findFirst().orElse(null);
  }

  /** Reads {@code file}; throws {@link ModelLoadException} naming it when it is not ONNX. */
  public static OnnxGraph read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException("ONNX file " + file + " does not exist");
    }
    try (InputStream in = Files.newInputStream(file)) {
      CodedInputStream s = CodedInputStream.newInstance(in);
      s.setSizeLimit(Integer.MAX_VALUE);
      return withRuntimeShapes(new Reader(file).model(s));
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException(
          file + " is not a readable ONNX model (" + e.getMessage() + ")", e);
    }
  }

  /** The graph with each tensor's shape as ONNX Runtime infers it at load. */
  private static OnnxGraph withRuntimeShapes(OnnxGraph g) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = open(env, options, g.file())) {
      return new OnnxGraph(
          g.file,
          g.irVersion,
          g.opset,
          g.producer,
          shapes(g.inputs, session.getInputInfo()),
          shapes(g.outputs, session.getOutputInfo()),
          g.producingOp,
          g.externalData);
    } catch (OrtException e) {
      throw new ModelLoadException(
          "ONNX Runtime cannot open " + g.file() + ": " + e.getMessage(), e);
    }
  }

  private static OrtSession open(OrtEnvironment env, OrtSession.SessionOptions options, Path file)
      throws OrtException {
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
    options.setIntraOpNumThreads(1);
    return env.createSession(file.toString(), options);
  }

  private static List<Value> shapes(List<Value> values, Map<String, NodeInfo> infos) {
    List<Value> out = new ArrayList<>();
    for (Value v : values) {
      NodeInfo info = infos.get(v.name);
      if (info != null && info.getInfo() instanceof TensorInfo t && v.kind.equals("tensor")) {
        long[] dims = t.getShape();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < dims.length; i++) {
          names.add(dims[i] < 0 && i < v.dimNames.size() ? v.dimNames.get(i) : "");
        }
        out.add(new Value(v.name, v.elemType, v.kind, dims, List.copyOf(names)));
      } else {
        out.add(v);
      }
    }
    return List.copyOf(out);
  }

  /** Ops that move values without changing them; the op that computes an output is before them. */
  private static final Set<String> SHAPE_ONLY =
      Set.of("Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity");

  /** One pass over the ModelProto; field numbers are those of onnx/onnx.proto3. */
  private static final class Reader {
    private final Path file;
    private long ir;
    private long opset;
    private String producerName = "";
    private String producerVersion = "";
    private final List<Value> inputs = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private final Set<String> initializers = new HashSet<>();
    private final Map<String, String[]> producing = new HashMap<>(); // output -> {op, input 0}
    private boolean external;
    private boolean sawGraph;

    Reader(Path file) {
      this.file = file;
    }

    OnnxGraph model(CodedInputStream s) throws IOException {
      for (int tag; (tag = s.readTag()) != 0; ) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case 1 -> ir = s.readInt64();
          case 2 -> producerName = s.readString();
          case 3 -> producerVersion = s.readString();
          case 7 -> {
            sawGraph = true;
            nested(s, this::graph);
          }
          case 8 -> nested(s, this::opsetId);
          default -> s.skipField(tag);
        }
      }
      if (!sawGraph || ir == 0) {
        throw new IOException("no ir_version or graph: not an ONNX ModelProto");
      }
      List<Value> real = inputs.stream().filter(v -> !initializers.contains(v.name)).toList();
      Map<String, String> ops = new HashMap<>();
      for (Value o : outputs) {
        String[] node = producing.get(o.name);
        for (int hops = 0; node != null && SHAPE_ONLY.contains(node[0]) && hops < 64; hops++) {
          String[] before = node[1] == null ? null : producing.get(node[1]);
          if (before == null) {
            break;
          }
          node = before;
        }
        ops.put(o.name, node == null ? "" : node[0]);
      }
      return new OnnxGraph(
          file,
          ir,
          opset,
          (producerName + " " + producerVersion).strip(),
          real,
          List.copyOf(outputs),
          Map.copyOf(ops),
          external);
    }

    private void opsetId(CodedInputStream s) throws IOException {
      String domain = "";
      long version = 0;
      for (int tag; (tag = s.readTag()) != 0; ) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case 1 -> domain = s.readString();
          case 2 -> version = s.readInt64();
          default -> s.skipField(tag);
        }
      }
      if (domain.isEmpty() || domain.equals("ai.onnx")) {
        opset = version;
      }
    }

    private void graph(CodedInputStream s) throws IOException {
      for (int tag; (tag = s.readTag()) != 0; ) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case 1 -> nested(s, this::node);
          case 5 -> nested(s, this::initializer);
          case 11 -> nested(s, in -> inputs.add(value(in)));
          case 12 -> nested(s, in -> outputs.add(value(in)));
          default -> s.skipField(tag);
        }
      }
    }

    private void node(CodedInputStream s) throws IOException {
      List<String> outs = new ArrayList<>();
      String op = "";
      String firstInput = null;
      for (int tag; (tag = s.readTag()) != 0; ) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case 1 -> {
            String in = s.readString();
            firstInput = firstInput == null ? in : firstInput;
          }
          case 2 -> outs.add(s.readString());
          case 4 -> op = s.readString();
          default -> s.skipField(tag);
        }
      }
      for (String o : outs) {
        producing.put(o, new String[] {op, firstInput});
      }
    }

    private void initializer(CodedInputStream s) throws IOException {
      for (int tag; (tag = s.readTag()) != 0; ) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case 8 -> initializers.add(s.readString());
          case 14 -> external |= s.readEnum() == 1; // data_location EXTERNAL
          default -> s.skipField(tag);
        }
      }
    }

    private Value value(CodedInputStream s) throws IOException {
      String name = "";
      Value type = null;
      for (int tag; (tag = s.readTag()) != 0; ) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case 1 -> name = s.readString();
          case 2 -> type = nestedValue(s, this::type);
          default -> s.skipField(tag);
        }
      }
      if (type == null) {
        type = new Value("", 0, "untyped", new long[0], List.of());
      }
      return new Value(name, type.elemType, type.kind, type.dims, type.dimNames);
    }

    private Value type(CodedInputStream s) throws IOException {
      Value v = new Value("", 0, "unknown", new long[0], List.of());
      for (int tag; (tag = s.readTag()) != 0; ) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case 1 -> v = nestedValue(s, this::tensorType);
          case 4 -> v = skipAs(s, "sequence");
          case 5 -> v = skipAs(s, "map");
          case 8 -> v = skipAs(s, "sparse_tensor");
          case 9 -> v = skipAs(s, "optional");
          default -> s.skipField(tag);
        }
      }
      return v;
    }

    private static Value skipAs(CodedInputStream s, String kind) throws IOException {
      s.skipRawBytes(s.readRawVarint32());
      return new Value("", 0, kind, new long[0], List.of());
    }

    private Value tensorType(CodedInputStream s) throws IOException {
      int elem = 0;
      List<long[]> dims = new ArrayList<>();
      List<String> names = new ArrayList<>();
      boolean shaped = false;
      for (int tag; (tag = s.readTag()) != 0; ) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case 1 -> elem = s.readInt32();
          case 2 -> {
            shaped = true;
            nested(
                s,
                shape -> {
                  for (int t; (t = shape.readTag()) != 0; ) {
                    if (WireFormat.getTagFieldNumber(t) == 1) {
                      nested(shape, d -> dimension(d, dims, names));
                    } else {
                      shape.skipField(t);
                    }
                  }
                });
          }
          default -> s.skipField(tag);
        }
      }
      long[] d = new long[dims.size()];
      for (int i = 0; i < d.length; i++) {
        d[i] = dims.get(i)[0];
      }
      return new Value("", elem, shaped ? "tensor" : "tensor of unknown rank", d, names);
    }

    private static void dimension(CodedInputStream s, List<long[]> dims, List<String> names)
        throws IOException {
      long value = -1;
      String param = "";
      for (int tag; (tag = s.readTag()) != 0; ) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case 1 -> value = s.readInt64();
          case 2 -> param = s.readString();
          default -> s.skipField(tag);
        }
      }
      dims.add(new long[] {param.isEmpty() ? value : -1});
      names.add(param);
    }

    private interface Body {
      void read(CodedInputStream s) throws IOException;
    }

    private interface ValueBody {
      Value read(CodedInputStream s) throws IOException;
    }

    private static void nested(CodedInputStream s, Body body) throws IOException {
      int limit = s.pushLimit(s.readRawVarint32());
      body.read(s);
      s.popLimit(limit);
    }

    private static Value nestedValue(CodedInputStream s, ValueBody body) throws IOException {
      int limit = s.pushLimit(s.readRawVarint32());
      Value v = body.read(s);
      s.popLimit(limit);
      return v;
    }
  }
}
