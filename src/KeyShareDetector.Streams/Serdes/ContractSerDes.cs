using Confluent.Kafka;
using Streamiz.Kafka.Net.SerDes;

namespace KeyShareDetector.Streams.Serdes;

/// <summary>Streamiz serde over a contract codec (JSON or Avro, as configured).</summary>
public sealed class ContractSerDes<T>(Func<T, byte[]> write, Func<byte[], T> read) : AbstractSerDes<T>
{
    public override byte[] Serialize(T data, SerializationContext context) => write(data);

    public override T Deserialize(byte[] data, SerializationContext context) => read(data);
}
