namespace KeyShareDetector.Detection.Signals.Spoofing;

/// <summary>
/// FIFO ring of structs, oldest at index 0, whose capacity is given by the caller on each push (it comes from the
/// rule, which may change between policy versions). The array grows by doubling up to that capacity, then the
/// oldest entry is overwritten: no allocation in the steady state.
/// </summary>
internal sealed class BoundedRing<T>
    where T : struct
{
    private T[] _items = [];
    private int _head;

    public int Count { get; private set; }

    /// <summary>The <paramref name="index"/>-th oldest entry.</summary>
    public ref T this[int index] => ref _items[(_head + index) % _items.Length];

    public ref T Oldest => ref this[0];

    public ref T Newest => ref this[Count - 1];

    /// <summary>Appends <paramref name="item"/>, first dropping the oldest entries so at most <paramref name="capacity"/> remain.</summary>
    public void Push(in T item, int capacity)
    {
        while (Count > 0 && Count >= capacity) PopOldest();
        if (Count == _items.Length) Grow(capacity);
        _items[(_head + Count) % _items.Length] = item;
        Count++;
    }

    public void PopOldest()
    {
        _items[_head] = default;
        _head = (_head + 1) % _items.Length;
        Count--;
    }

    private void Grow(int capacity)
    {
        int size = Math.Max(1, Math.Min(Math.Max(capacity, 1), Math.Max(4, _items.Length * 2)));
        var next = new T[size];
        for (int i = 0; i < Count; i++) next[i] = this[i];
        _items = next;
        _head = 0;
    }
}
