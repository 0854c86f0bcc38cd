using KeyShareDetector.Contracts;

namespace KeyShareDetector.Detection.Signals.Spoofing;

/// <summary>
/// Holds one key's order events sorted by event time (stable: equal times keep arrival order) until the grace
/// period has passed over them. Input is nearly sorted, so an insert is an append or a short shift from the back.
/// </summary>
internal sealed class OrderReorderBuffer
{
    private OrderEvent?[] _items = [];
    private int _head;

    public int Count { get; private set; }

    public OrderEvent this[int index] => _items[(_head + index) % _items.Length]!;

    public OrderEvent Oldest => this[0];

    public void Insert(OrderEvent e)
    {
        if (Count == _items.Length) Grow();
        int pos = Count;
        // Shift later events one slot towards the back until e fits (after every event with ts <= e.Ts).
        while (pos > 0 && this[pos - 1].Ts > e.Ts)
        {
            _items[(_head + pos) % _items.Length] = this[pos - 1];
            pos--;
        }
        _items[(_head + pos) % _items.Length] = e;
        Count++;
    }

    public OrderEvent PopOldest()
    {
        var e = _items[_head]!;
        _items[_head] = null;
        _head = (_head + 1) % _items.Length;
        Count--;
        return e;
    }

    private void Grow()
    {
        var next = new OrderEvent?[Math.Max(8, _items.Length * 2)];
        for (int i = 0; i < Count; i++) next[i] = this[i];
        _items = next;
        _head = 0;
    }
}
