-- wrk script: POST the course's ride.
wrk.method = "POST"
wrk.body = '{"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40}'
wrk.headers["Content-Type"] = "application/json"
