using System.Collections.Concurrent;
using Streamiz.Kafka.Net.Processors;
using Streamiz.Kafka.Net.Processors.Public;

namespace KeyShareDetector.Streams.Observability;

/// <summary>A task whose stream thread has not come back to it for longer than the limit.</summary>
public sealed record TaskStall(string TaskId, TimeSpan Silent)
{
    public override string ToString() => $"task {TaskId} has not been run for {Silent.TotalSeconds:F0} s";
}

/// <summary>
/// Whether each stream task's thread still comes round: every stateful stage beats on a wall-clock punctuation,
/// which Streamiz runs on the task's stream thread once per loop, between processing and committing, whether or not
/// records came in. A thread blocked inside a call (librdkafka's send_offsets_to_transaction can ignore its timeout
/// while the group coordinator is down: confluentinc/librdkafka#5456) stops beating while the stream still reports
/// RUNNING; <see cref="Stalled"/> tells, and /healthz fails so that the process is restarted (exactly-once makes a
/// restart safe). A task counts from its first beat until it is suspended or closed. The beats are scheduled on
/// Streamiz's wall clock and timed here on a monotonic one: a wall clock stepped back by more than the limit (a VM
/// resumed, NTP) delays the beats and fails /healthz once, which costs a restart, not a wrong decision.
/// </summary>
public sealed class TaskLiveness(TimeProvider time)
{
    /// <summary>How often a task beats (stream-thread wall clock).</summary>
    public static readonly TimeSpan BeatInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, long> _lastBeat = new(StringComparer.Ordinal);

    /// <summary>
    /// Called from a stateful stage's Init: the task starts over (a stale beat of an earlier life is dropped) and beats
    /// on its stream thread from its first punctuation on. Returns the task's id for <see cref="Forget"/> in Close.
    /// </summary>
    public string Watch<TKey, TValue>(ProcessorContext<TKey, TValue> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string id = context.Id.ToString();
        Forget(id);
        context.Schedule(BeatInterval, PunctuationType.PROCESSING_TIME, _ => Beat(id));
        return id;
    }

    /// <summary>The task's thread came round to it now.</summary>
    public void Beat(string taskId) => _lastBeat[taskId] = time.GetTimestamp();

    /// <summary>The task left this thread (closed, suspended, or about to start over).</summary>
    public void Forget(string taskId) => _lastBeat.TryRemove(taskId, out _);

    /// <summary>Tasks that have beaten and not been forgotten.</summary>
    public int Tasks => _lastBeat.Count;

    /// <summary>The longest-silent task when it has been silent for more than <paramref name="limit"/>; null otherwise.</summary>
    public TaskStall? Stalled(TimeSpan limit)
    {
        TaskStall? worst = null;
        foreach (var (task, beat) in _lastBeat)
        {
            var silent = time.GetElapsedTime(beat);
            if (silent > limit && (worst is null || silent > worst.Silent)) worst = new TaskStall(task, silent);
        }
        return worst;
    }
}
