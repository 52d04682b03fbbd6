#!/bin/bash
# waits for base1, then runs new1, new2, base2 in turn
while kill -0 $(cat /tmp/run84-base1.pid) 2>/dev/null; do sleep 5; done
/tmp/run84.sh new1 /tmp/new84/net10.0
/tmp/run84.sh new2 /tmp/new84/net10.0
/tmp/run84.sh base2 /tmp/base84/net10.0
echo alldone
